"""The vocabulary every layer above shares: a finding, a fix as edits, the fix contract, ``# noqa``, file names."""
