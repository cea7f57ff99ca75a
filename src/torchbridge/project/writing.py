"""Writing a file so that it is never lost or half-written: a fixed source, a cache entry.

The new bytes go to a temporary file in the same folder and then replace the file in one
``os.replace``: a reader, a crash or a kill sees the old file or the new one, never a mix.
A fixed source is also flushed to disk first and keeps the original's mode (and owner,
where allowed); a symlink is written through to its target, so the link stays a link.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from functools import cache
from pathlib import Path

TEMP_SUFFIX = ".torchbridge-tmp"  # never ``.py``: a crashed run's leftover is not checked


class WriteError(Exception):
    """The file could not be written; the original is intact."""


def write_atomically(path: Path, data: bytes) -> None:
    """Replace an existing file (a fixed source): flushed to disk, with the original's mode and
    owner; a read-only file is refused. Raises ``WriteError``, the original intact."""
    target = Path(os.path.realpath(path))
    try:
        info = os.stat(target)
    except OSError as exc:
        raise WriteError(f"cannot write: {exc.strerror or exc}") from None
    if not info.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        # Respected even for root, who could write it: read-only is the owner's choice.
        raise WriteError("not fixed: the file is read-only")
    try:
        _replace(target, data, stat.S_IMODE(info.st_mode), owner=(info.st_uid, info.st_gid), durable=True)
    except OSError as exc:
        raise WriteError(_describe(exc)) from None


def write_new_atomically(path: Path, data: bytes) -> None:
    """Write a file that can be made again (a cache entry) in one rename, with the mode a new
    file gets (mkstemp's 0600 would lock others out), not flushed to disk: a reader sees the
    old file or the new one, never a part. Raises ``OSError``."""
    _replace(path, data, 0o666 & ~_umask(), owner=None, durable=False)


def _replace(target: Path, data: bytes, mode: int, *, owner: tuple[int, int] | None, durable: bool) -> None:
    """``data`` into a temporary file beside ``target``, then renamed over it; the temporary
    file is removed on any failure."""
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        with contextlib.suppress(OSError, AttributeError):  # only root may give a file away; no chown on Windows
            if owner is not None and owner != (os.getuid(), os.getgid()):
                os.chown(temporary, *owner)
        os.replace(temporary, target)
        temporary = None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


@cache
def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "not fixed: no space left on the device; the file is unchanged"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"not fixed: no permission to write next to the file ({exc.strerror}); the file is unchanged"
    return f"not fixed: cannot write ({exc.strerror or exc}); the file is unchanged"
