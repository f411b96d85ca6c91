"""The race study: "It's Not a Lottery, It's a Race" (SPEC section 6). Empty until its issue lands."""
