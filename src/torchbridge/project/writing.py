"""Writing a fixed file so that it is never lost or half-written.

The new bytes go to a temporary file in the same folder, are flushed to disk, get the
original's mode (and owner, where allowed), and then replace the original in one
``os.replace``: a reader, a crash or a kill sees the old file or the new one, never a mix.
A symlink is written through to its target, so the link stays a link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".torchbridge-tmp"  # never ``.py``: a crashed run's leftover is not checked


class WriteError(Exception):
    """The file could not be written; the original is intact."""


def write_atomically(path: Path, data: bytes) -> None:
    target = Path(os.path.realpath(path))
    try:
        info = os.stat(target)
    except OSError as exc:
        raise WriteError(f"cannot write: {exc.strerror or exc}") from None
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        # Respected even for root, who could write it: read-only is the owner's choice.
        raise WriteError("not fixed: the file is read-only")
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        with contextlib.suppress(OSError, AttributeError):  # only root may give a file away; no chown on Windows
            if (info.st_uid, info.st_gid) != (os.getuid(), os.getgid()):
                os.chown(temporary, info.st_uid, info.st_gid)
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise WriteError(_describe(exc)) from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "not fixed: no space left on the device; the file is unchanged"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"not fixed: no permission to write next to the file ({exc.strerror}); the file is unchanged"
    return f"not fixed: cannot write ({exc.strerror or exc}); the file is unchanged"
