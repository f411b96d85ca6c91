"""lottery-scaling: train many tiny two-layer networks and test the N^-1 lottery-ticket scaling law."""

__version__ = "0.1.0"
