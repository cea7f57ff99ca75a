"""torch to NumPy conversions (TNP2xx)."""
