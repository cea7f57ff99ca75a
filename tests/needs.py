"""Optional modules some tests run on (the test extra installs them): where one is missing
the test module is skipped, and the skip says why; under CI, which installs the extra, a
missing module fails the run instead of hiding behind a skip."""

from __future__ import annotations

import importlib
import os
from types import ModuleType

import pytest


def needs(module: str, why: str) -> ModuleType:
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f"{module} is not installed ({why}; pip install -e '.[test]')")
