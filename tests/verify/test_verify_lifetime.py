"""A killed run takes its workers with it: ``die_with_parent`` on its own (the Linux
parent-death signal, the race it closes, the portable fallback), and a real ``torchbridge
verify`` / ``fix --verify`` run killed while its forked child is busy. Processes are found
and judged by pid in /proc, polling against a deadline, never by sleeping a guessed time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable

import pytest

from torchbridge.project.lifetime import EXIT_ORPHANED

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="finds processes through /proc")

DEADLINE_S = 15.0  # the fallback polls every 0.5 s; the signal is immediate


def _stat(pid: int) -> tuple[str, int, str] | None:
    """(state, parent pid, start time) of a process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            data = handle.read()
    except OSError:
        return None
    fields = data[data.rindex(")") + 2:].split()  # the command name may hold spaces
    return fields[0], int(fields[1]), fields[19]


def _alive(pid: int, start: str) -> bool:
    """The same process (not a reused pid) still exists and is not a zombie."""
    stat = _stat(pid)
    return stat is not None and stat[2] == start and stat[0] not in ("Z", "X")


def _children(parent: int) -> dict[int, str]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(int(entry))
            if stat is not None and stat[1] == parent:
                found[int(entry)] = stat[2]
    return found


def _wait_until(condition: Callable[[], bool], deadline_s: float) -> bool:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _reap(processes: dict[int, str]) -> None:
    """Clean up after a failure: kill what this test started and is still there."""
    for pid, start in processes.items():
        if _alive(pid, start):
            os.kill(pid, signal.SIGKILL)


# A parent that forks one child, which calls die_with_parent, says its pid once armed, and
# idles; the parent idles too (or, with "orphan", says the child's pid and exits at once).
FORKING_PARENT = textwrap.dedent("""
    import os, sys, time
    from torchbridge.project import lifetime
    if "fallback" in sys.argv:
        lifetime._parent_death_signal = lambda *signum: False  # the path other systems take
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        if "orphan" in sys.argv:
            while os.getppid() == parent:  # the parent dies before the child arms the signal
                time.sleep(0.01)
        lifetime.die_with_parent(parent)
        print(os.getpid(), flush=True)
        time.sleep(120)
        os._exit(0)
    if "orphan" in sys.argv:
        print(pid, flush=True)
        os._exit(0)
    time.sleep(120)
""")


def _start_forking_parent(*flags: str) -> tuple[subprocess.Popen, int, str]:
    parent = subprocess.Popen([sys.executable, "-c", FORKING_PARENT, *flags], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    stat = _stat(child)
    return parent, child, stat[2] if stat else ""


@pytest.mark.parametrize("flags", [(), ("fallback",)], ids=["parent-death-signal", "fallback-watch"])
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_child_dies_with_its_killed_parent(how, flags):
    parent, child, start = _start_forking_parent(*flags)
    try:
        assert _alive(child, start)
        parent.send_signal(how)
        parent.wait(timeout=30)
        assert _wait_until(lambda: not _alive(child, start), DEADLINE_S), "the child outlived its parent"
    finally:
        parent.kill()
        parent.wait()
        _reap({child: start})


def test_child_whose_parent_died_before_the_signal_was_armed_exits_at_once():
    """The race the pid check closes: the parent is gone before prctl is called."""
    parent, child, start = _start_forking_parent("orphan")
    try:
        parent.wait(timeout=30)
        assert _wait_until(lambda: not _alive(child, start), DEADLINE_S), "an orphaned child kept running"
    finally:
        _reap({child: start})


def test_die_with_parent_keeps_a_child_whose_parent_lives():
    run = subprocess.run(
        [sys.executable, "-c", "import os; from torchbridge.project.lifetime import die_with_parent; "
                               "die_with_parent(os.getppid()); print('still here')"],
        capture_output=True, text=True, timeout=60,
    )
    assert (run.returncode, run.stdout) == (0, "still here\n")
    run = subprocess.run([sys.executable, "-c", "from torchbridge.project.lifetime import die_with_parent; die_with_parent(-1)"],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == EXIT_ORPHANED  # not its parent: taken for a parent that died


# ---------------------------------------------------------------- the verifier's children

# An unsafe TNP304 fix whose probe runs a 3000x3000 matrix product per case: one side of
# 25 cases keeps a child busy for about a minute on a 2-core machine.
BUSY = ("import torch\n"
        "scaler = torch.cuda.amp.GradScaler(init_scale=(torch.ones(3000, 3000) @ torch.ones(3000, 3000)).sum().item())\n")


def _busy_child(parent: int, deadline_s: float) -> tuple[int, str] | None:
    """A child of ``parent`` that stays alive for a second (a probe's, not a quick one)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        before = _children(parent)
        time.sleep(1.0)
        after = _children(parent)
        for pid, start in before.items():
            if after.get(pid) == start:
                return pid, start
        if _stat(parent) is None:
            return None
    return None


@pytest.mark.parametrize(
    ("command", "how"),
    [
        (("verify", "--device", "cpu"), signal.SIGKILL),
        (("verify", "--device", "cpu"), signal.SIGTERM),
        (("fix", "--verify"), signal.SIGKILL),
    ],
    ids=["verify-SIGKILL", "verify-SIGTERM", "fix-verify-SIGKILL"],
)
def test_killed_verify_run_takes_its_children_with_it(tmp_path, command, how):
    pytest.importorskip("torch")
    (tmp_path / "busy.py").write_text(BUSY)
    run = subprocess.Popen([sys.executable, "-m", "torchbridge", *command, "--isolated", "--unsafe-fixes", "busy.py"],
                           cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    busy = None
    try:
        busy = _busy_child(run.pid, deadline_s=120)
        assert busy is not None, "the run never forked a child that ran its probe"
        run.send_signal(how)
        run.wait(timeout=30)
        assert _wait_until(lambda: not _alive(*busy), DEADLINE_S), "the verifier's child outlived its killed parent"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        if busy is not None:
            _reap(dict([busy]))


def _sleep_then_mark(marker: str) -> None:
    time.sleep(20)
    with open(marker, "w"):
        pass  # reached only by a child left to finish


def test_interrupted_parent_kills_its_child_instead_of_waiting_for_it(tmp_path):
    """Ctrl-C in `torchbridge verify` used to wait for the running child to finish."""
    pytest.importorskip("torch")
    from torchbridge.verify import sandbox

    marker = tmp_path / "finished"
    seen: dict[int, str] = {}
    others = _children(os.getpid())  # e.g. multiprocessing's resource tracker: not ours to judge

    def interrupt(signum, frame):  # noqa: ANN001
        seen.update({pid: start for pid, start in _children(os.getpid()).items() if others.get(pid) != start})
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 1.0)
    try:
        with pytest.raises(KeyboardInterrupt):
            sandbox.run_in_child(_sleep_then_mark, str(marker), cpu_only=True)
        assert seen, "the child was not running when the parent was interrupted"
        assert not any(_alive(pid, start) for pid, start in seen.items())
        assert not marker.exists(), "the parent waited for its child to finish"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        _reap(seen)
