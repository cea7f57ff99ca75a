"""The ``torchbridge`` command (``torchbridge = torchbridge.cli:main``): subcommands, options, exit codes, progress."""

from .main import main

__all__ = ["main"]
