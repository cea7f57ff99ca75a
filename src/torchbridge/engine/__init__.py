"""The path of one file: decode, prefilter, pre-scan, parse, one walk, positions, noqa; notebooks as modules."""
