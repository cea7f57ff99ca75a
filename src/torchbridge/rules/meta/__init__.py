"""The linter itself: its own comments (TNP9xx)."""
