"""A child process that ends when its parent does.

A parent killed with SIGKILL (an editor, a hook or a CI step that times the run out) gets
no chance to stop its worker processes; without help they run on, reparented, until their
file is done, and each may hold gigabytes. ``die_with_parent`` is called by the child
first thing, with the pid of the parent that started it:

- on Linux the kernel sends the child SIGKILL when the parent ends
  (``prctl(PR_SET_PDEATHSIG)``). The request is made from the child, so the parent may
  already have died before it: the parent pid is compared afterwards, which closes that
  race. (The signal follows the *thread* that started the child: start children from a
  thread that lives as long as the run, such as the main thread.)
- elsewhere a daemon thread in the child waits for the parent's end and then ends the
  child: on the pipe that multiprocessing gives every child it starts (its other end is
  held by the parent alone, so it reads end-of-file when the parent dies); for a child
  that multiprocessing did not start, by watching its parent pid change.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
EXIT_ORPHANED = 128 + 9  # as if killed by SIGKILL, which is what Linux does; nobody is left to read it
_POLL_SECONDS = 0.5  # only for a child without a pipe to its parent


def die_with_parent(parent_pid: int) -> None:
    """Make this process end, at once and without cleanup, when process ``parent_pid``
    (its parent) ends; end it now if that parent is already gone."""
    armed = sys.platform.startswith("linux") and _parent_death_signal(signal.SIGKILL)
    if os.getppid() != parent_pid:
        os._exit(EXIT_ORPHANED)  # the parent died before the request: no signal will come
    if not armed:
        threading.Thread(target=_watch, args=(parent_pid,), name="die-with-parent", daemon=True).start()


def _parent_death_signal(signum: int = signal.SIGKILL) -> bool:
    """Ask the kernel for ``signum`` when the parent ends; False where it cannot be asked."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) == 0
    except (OSError, AttributeError):  # no libc to load, or one without prctl
        return False


def _watch(parent_pid: int) -> None:
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid == parent_pid:
        parent.join()  # waits on the pipe's end-of-file, which comes when the parent ends
    else:
        while os.getppid() == parent_pid:
            time.sleep(_POLL_SECONDS)
    os._exit(EXIT_ORPHANED)
