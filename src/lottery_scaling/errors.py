"""The one exception type for mistakes a user can fix (bad arguments, bad or foreign files)."""


class UserError(Exception):
    """A problem with the user's input; the command line prints its message and exits with status 2."""
