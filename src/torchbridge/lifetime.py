"""Worker processes that do not outlive the process that started them.

A run that is killed (``kill -9``, an editor's or CI's timeout) must take its workers with
it: they hold gigabytes and keep running otherwise. A worker calls ``die_with_parent``
first thing after it starts, with the pid of the process that started it (read in that
process before the fork or spawn, never in the worker: by then it may be gone).

- On Linux, the kernel kills the worker with SIGKILL when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``). The signal follows the parent *thread* that forked, so
  fork from a thread that lives as long as its workers (the verifier forks from the
  thread that waits for the child). A parent that died before the signal was armed is
  caught by comparing ``os.getppid()`` with the expected pid.
- Elsewhere on POSIX, a daemon thread polls ``os.getppid()``: an orphan is re-parented, so
  its parent pid changes.
- On Windows, which does not re-parent, a daemon thread waits on the parent's sentinel
  that ``multiprocessing`` hands a spawned child (a handle the parent holds); a process
  not started by ``multiprocessing`` has nothing to watch there.

Either way the worker ends with ``os._exit``, running no clean-up of its parent's state.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
POLL_SECONDS = 0.5
EXIT_ORPHANED = 128 + 9  # as if killed by SIGKILL, which is what Linux does


def die_with_parent(expected_parent_pid: int) -> None:
    """Make this process (a freshly started worker) exit when the process whose pid is
    ``expected_parent_pid`` dies; exit at once if it already has."""
    if not _parent_death_signal():
        _watch_parent(expected_parent_pid)
    if os.name == "posix" and os.getppid() != expected_parent_pid:
        os._exit(EXIT_ORPHANED)  # the parent died before the watch was set up


def _parent_death_signal() -> bool:
    """Ask Linux to SIGKILL this process when its parent dies; False where it cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch_parent(expected_parent_pid: int) -> None:
    """The portable fallback: a daemon thread that ends the process when the parent goes."""
    if os.name == "posix":
        def watch() -> None:
            while os.getppid() == expected_parent_pid:
                time.sleep(POLL_SECONDS)
            os._exit(EXIT_ORPHANED)
    else:
        import multiprocessing

        parent = multiprocessing.parent_process()
        if parent is None:
            return  # not a multiprocessing child: no handle of the parent to wait on

        def watch() -> None:
            parent.join()
            os._exit(EXIT_ORPHANED)

    threading.Thread(target=watch, name="torchbridge-parent-watch", daemon=True).start()
