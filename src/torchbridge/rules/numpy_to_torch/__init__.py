"""NumPy to torch conversions (TNP1xx)."""
