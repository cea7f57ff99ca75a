"""Data movement in loops and hot paths (TNP4xx)."""
