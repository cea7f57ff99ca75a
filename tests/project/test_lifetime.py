"""Workers never outlive their run: killed with SIGKILL or SIGTERM, a ``check -j 2`` or
``fix -j 2`` takes its workers with it; ``lifetime.die_with_parent`` ends a child whose
parent is gone, through the parent-death signal on Linux and through the watching thread
used elsewhere.

The worker pids come from /proc; each verdict polls with a generous deadline, never a
fixed sleep. The files are big enough that a worker left behind would still be busy with
its file long after the deadline."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import torchbridge.project.lifetime as lifetime

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads processes from /proc")

DEADLINE = 30.0  # seconds: a worker that outlives its parent by this much was left behind
START_DEADLINE = 120.0  # seconds for a run to start its workers on a busy machine
# Without its parent a worker would go on checking its file: about a minute per file here.
HEAVY = "import numpy as np\nimport torch\n\n" + "".join(
    f"def f{i}(a):\n    b = np.zeros(3)\n    t = torch.tensor(b)\n    return t.cuda() + {i}\n\n" for i in range(8000)
)


def process(pid: int) -> tuple[str, str] | None:
    """(state, start time) of a process, None when there is none."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()
    return fields[0], fields[19]


def running(pid: int, started: str) -> bool:
    """That very process (not a later one with its pid) exists and is not a zombie."""
    now = process(pid)
    return now is not None and now[1] == started and now[0] != "Z"


def children(pid: int) -> list[int]:
    found: set[int] = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            found.update(int(child) for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
    except OSError:
        pass
    return sorted(found)


def threads(pid: int) -> int:
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return 0


def poll(condition, deadline: float) -> bool:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def workers_of(proc: subprocess.Popen, count: int) -> dict[int, str]:
    """The run's worker processes, once it has started ``count`` of them."""
    assert poll(lambda: len(children(proc.pid)) >= count or proc.poll() is not None, START_DEADLINE)
    assert proc.poll() is None, proc.communicate()
    found = {pid: process(pid) for pid in children(proc.pid)}
    return {pid: info[1] for pid, info in found.items() if info is not None}


def assert_all_gone(workers: dict[int, str]) -> None:
    left = lambda: [pid for pid, started in workers.items() if running(pid, started)]  # noqa: E731
    gone = poll(lambda: not left(), DEADLINE)
    for pid in left():  # do not leave them to the next test
        os.kill(pid, signal.SIGKILL)
    assert gone, f"workers still running {DEADLINE} s after their parent ended"


@pytest.fixture
def heavy(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    for index in range(4):
        (folder / f"heavy{index}.py").write_text(HEAVY)
    return folder


@contextlib.contextmanager
def started(command: str, folder: Path) -> Iterator[subprocess.Popen]:
    """``torchbridge COMMAND -j 2 .`` in ``folder``, in a session of its own (a signal for
    it never reaches pytest); killed and its pipes closed when the test is done."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "torchbridge", command, "--isolated", "--no-cache", "-j", "2", "--unsafe-fixes", "."],
        cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=DEADLINE)


@pytest.mark.parametrize("command", ["check", "fix"])
def test_workers_die_with_a_parent_killed_with_sigkill(heavy, command):
    with started(command, heavy) as proc:
        workers = workers_of(proc, 2)
        assert len(workers) == 2
        proc.kill()
        proc.wait(timeout=DEADLINE)
        assert_all_gone(workers)
    assert all(path.read_text() == HEAVY for path in heavy.iterdir())  # fix: no file half-written


@pytest.mark.parametrize("command", ["check", "fix"])
def test_sigterm_stops_the_workers_and_exits_cleanly(heavy, command):
    with started(command, heavy) as proc:
        workers = workers_of(proc, 2)
        proc.terminate()
        proc.wait(timeout=DEADLINE)
        assert_all_gone(workers)
        out, err = proc.communicate(timeout=DEADLINE)  # after the workers: they would hold its pipes
    assert (proc.returncode, out, err) == (128 + signal.SIGTERM, b"", b"torchbridge: terminated\n")
    assert all(path.read_text() == HEAVY for path in heavy.iterdir())


def test_ctrl_c_ends_the_run_and_its_workers_without_a_traceback(heavy):
    """Ctrl-C signals the whole foreground process group, the workers included."""
    with started("check", heavy) as proc:
        workers = workers_of(proc, 2)
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=DEADLINE)
        assert_all_gone(workers)
        out, err = proc.communicate(timeout=DEADLINE)
    assert (proc.returncode, out, err) == (128 + signal.SIGINT, b"", b"torchbridge: interrupted\n")


# --------------------------------------------------------------------------- die_with_parent itself


def test_a_child_whose_parent_is_already_gone_exits_at_once():
    """The race: the parent died before the child asked for the signal. A pid that is not
    the parent's stands for it."""
    code = "import os, torchbridge.project.lifetime as l; l.die_with_parent(os.getpid()); print('survived')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert (done.returncode, done.stdout) == (lifetime.EXIT_ORPHANED, b"")


# A parent that starts one child, prints the child's pid and waits to be killed. The child
# asks for the fallback used where there is no parent-death signal.
PARENT = """
import multiprocessing, os, sys, time
import torchbridge.project.lifetime as lifetime


def child(parent_pid):
    lifetime._parent_death_signal = lambda signum: False  # as on macOS or Windows
    lifetime.die_with_parent(parent_pid)
    time.sleep(600)


if __name__ == "__main__":
    if sys.argv[1] == "multiprocessing":
        worker = multiprocessing.get_context("spawn").Process(target=child, args=(os.getpid(),))
        worker.start()
        pid = worker.pid
    else:  # a plain fork: no pipe to the parent, so the thread watches the parent pid
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:
            child(parent)
            os._exit(0)
    print(pid, flush=True)
    time.sleep(600)
"""


@pytest.mark.parametrize("how", ["multiprocessing", "fork"])
def test_the_watching_thread_ends_the_child_when_the_parent_is_killed(tmp_path, how):
    script = tmp_path / "parent.py"
    script.write_text(textwrap.dedent(PARENT))
    with subprocess.Popen([sys.executable, str(script), how], stdout=subprocess.PIPE, start_new_session=True) as proc:
        try:
            pid = int(proc.stdout.readline())  # type: ignore[union-attr]
            info = process(pid)
            assert info is not None
            # Give the child time to start its thread: killed before, it ends by the pid check.
            assert poll(lambda: threads(pid) > 1, START_DEADLINE)
            proc.kill()
            proc.wait(timeout=DEADLINE)
            assert_all_gone({pid: info[1]})
        finally:
            if proc.poll() is None:
                proc.kill()
