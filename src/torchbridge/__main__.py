"""``python -m torchbridge``: the same command as ``torchbridge``."""

import sys

from .cli.main import main

sys.exit(main())
