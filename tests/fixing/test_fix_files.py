"""No data loss: fixed files keep their bytes outside the edits (encoding, BOM, newlines, a
missing final newline), their mode and their links; a file that cannot be written, a fix
that would break the code, and a killed run all leave every file old or new, never half."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import torchbridge.fixing.loop as fixer
import torchbridge.project.writing as writing
from torchbridge import fix_source
from torchbridge.cli import main

# One safe TNP102 fix: ``.copy()`` after ``rgb``.
FLIP = "import numpy as np\nimport torch\nimage = np.zeros((2, 2, 3))\nrgb = image[:, :, ::-1]\nt = torch.from_numpy(rgb)\n"
FLIP_FIXED = FLIP.replace("from_numpy(rgb)", "from_numpy(rgb.copy())")
# One unsafe TNP302 fix that inserts a line: DEVICE after the imports.
CUDA = "import torch\nx = torch.nn.Linear(3, 3).cuda()\n"


def fix(path: Path, *extra: str, capsys=None) -> int:
    code = main(["fix", "--isolated", "-j", "1", *extra, str(path)])
    if capsys is not None:
        capsys.readouterr()
    return code


def test_latin1_cookie_is_kept(tmp_path, capsys):
    path = tmp_path / "a.py"
    source = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + FLIP
    path.write_bytes(source.encode("latin-1"))
    assert fix(path, capsys=capsys) == 0
    data = path.read_bytes()
    assert b"caf\xe9" in data  # still one latin-1 byte, not UTF-8
    assert data.decode("latin-1") == "# -*- coding: latin-1 -*-\n# caf\xe9\n" + FLIP_FIXED


def test_bom_is_kept(tmp_path, capsys):
    path = tmp_path / "a.py"
    path.write_bytes(b"\xef\xbb\xbf" + FLIP.encode())
    assert fix(path, capsys=capsys) == 0
    assert path.read_bytes() == b"\xef\xbb\xbf" + FLIP_FIXED.encode()


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "lone-cr"])
def test_newline_style_is_kept_and_used_for_new_lines(tmp_path, capsys, newline):
    path = tmp_path / "a.py"
    path.write_bytes(CUDA.replace("\n", newline).encode())
    assert fix(path, "--unsafe-fixes", capsys=capsys) == 0
    expected = 'import torch\n\nDEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")\nx = torch.nn.Linear(3, 3).to(DEVICE)\n'
    if newline == "\r\n":
        assert path.read_bytes() == expected.replace("\n", "\r\n").encode()
    else:  # LibCST sees lone CRs as LFs; the CRs already there stay
        assert path.read_bytes() == expected.replace("\n", "\r").encode().replace(
            b'"cpu")\r', b'"cpu")\n'
        ).replace(b"torch\r\r", b"torch\r\n")


def test_mixed_newlines_outside_the_edit_are_untouched(tmp_path, capsys):
    path = tmp_path / "a.py"
    original = FLIP.replace("import torch\n", "import torch\r\n").encode()
    path.write_bytes(original)
    assert fix(path, capsys=capsys) == 0
    assert path.read_bytes() == original.replace(b"from_numpy(rgb)", b"from_numpy(rgb.copy())")


def test_missing_final_newline_stays_missing(tmp_path, capsys):
    path = tmp_path / "a.py"
    path.write_text(FLIP.rstrip("\n"))
    assert fix(path, capsys=capsys) == 0
    assert path.read_text() == FLIP_FIXED.rstrip("\n")


def test_inserted_line_at_the_end_of_a_file_without_final_newline():
    result = fix_source("import torch", unsafe=True)
    assert result.source == "import torch"  # nothing to fix
    source = "import torch\nx = torch.nn.Linear(3, 3).cuda()"
    fixed = fix_source(source, unsafe=True).source
    assert fixed.endswith("x = torch.nn.Linear(3, 3).to(DEVICE)")
    compile(fixed, "<fixed>", "exec")


def test_file_mode_is_kept(tmp_path, capsys):
    path = tmp_path / "tool.py"
    path.write_text(FLIP)
    path.chmod(0o750)
    assert fix(path, capsys=capsys) == 0
    assert path.read_text() == FLIP_FIXED
    assert stat.S_IMODE(path.stat().st_mode) == 0o750


def test_symlink_is_written_through(tmp_path, capsys):
    target = tmp_path / "real.py"
    target.write_text(FLIP)
    link = tmp_path / "link.py"
    link.symlink_to("real.py")
    assert fix(link, capsys=capsys) == 0
    assert link.is_symlink() and os.readlink(link) == "real.py"
    assert target.read_text() == FLIP_FIXED


def test_unchanged_file_is_not_rewritten(tmp_path, capsys):
    path = tmp_path / "a.py"
    path.write_text(CUDA)  # only an unsafe fix: a safe run changes nothing
    before = path.stat()
    assert fix(path, capsys=capsys) == 1
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_read_only_file_is_reported_and_left_alone(tmp_path, capsys):
    path = tmp_path / "a.py"
    path.write_text(FLIP)
    path.chmod(0o444)
    code = main(["fix", "--isolated", str(path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "write-error: not fixed: the file is read-only" in out
    assert "TNP102" in out  # the finding is still there, reported
    assert path.read_text() == FLIP
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize(
    ("where", "error", "said"),
    [
        ("fsync", OSError(errno.ENOSPC, "No space left on device"),
         "not fixed: no space left on the device; the file is unchanged"),
        ("replace", PermissionError(errno.EACCES, "Permission denied"),
         "not fixed: no permission to write next to the file (Permission denied); the file is unchanged"),
        ("write", OSError(errno.EIO, "Input/output error"), "not fixed: cannot write (Input/output error); the file is unchanged"),
    ],
)
def test_write_failures_leave_the_original_and_no_temporary_file(tmp_path, capsys, monkeypatch, where, error, said):
    """Simulated: root ignores file modes, so a real full disk or a denied write cannot be
    staged in CI."""
    path = tmp_path / "a.py"
    path.write_text(FLIP)

    def fail(*args, **kwargs):
        raise error

    if where == "write":
        real_fdopen = os.fdopen

        class Failing:
            def __init__(self, stream):
                self.stream = stream

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.stream.close()

            def write(self, data):
                self.stream.write(data[: len(data) // 2])  # half written, then the error
                raise error

        monkeypatch.setattr(writing.os, "fdopen", lambda fd, mode: Failing(real_fdopen(fd, mode)))
    else:
        monkeypatch.setattr(writing.os, where, fail)
    code = main(["fix", "--isolated", str(path)])
    out, _ = capsys.readouterr()
    assert code == 1
    assert f"write-error: {said}\n" in out
    assert path.read_text() == FLIP
    assert [p.name for p in tmp_path.iterdir()] == ["a.py"]


def test_a_file_gone_before_the_write_is_named(tmp_path):
    with pytest.raises(writing.WriteError, match=r"^cannot write: No such file or directory$"):
        writing.write_atomically(tmp_path / "gone.py", b"x = 1\n")


def test_the_temporary_file_sits_beside_the_file_under_a_name_no_run_checks(tmp_path, capsys, monkeypatch):
    """Beside it, so that ``os.replace`` stays on one file system (one atomic rename); not
    ``.py``, so that a leftover from a killed run is never checked or fixed."""
    path = tmp_path / "a.py"
    path.write_text(FLIP)
    replaced = []
    real_replace = os.replace

    def spy(source, destination):
        replaced.append(Path(source))
        real_replace(source, destination)

    monkeypatch.setattr(writing.os, "replace", spy)
    assert fix(path, capsys=capsys) == 0
    (temporary,) = replaced
    assert temporary.parent == tmp_path
    assert temporary.name.startswith(".a.py.") and temporary.name.endswith(writing.TEMP_SUFFIX)
    assert path.read_text() == FLIP_FIXED


def test_a_group_writable_file_is_not_read_only(tmp_path, capsys):
    path = tmp_path / "a.py"
    path.write_text(FLIP)
    path.chmod(0o460)
    assert fix(path, capsys=capsys) == 0
    assert path.read_text() == FLIP_FIXED
    assert stat.S_IMODE(path.stat().st_mode) == 0o460


@pytest.mark.skipif(os.name != "posix" or os.getuid() != 0, reason="only root can give a file to another owner")
def test_the_owner_is_kept(tmp_path, capsys):
    path = tmp_path / "a.py"
    path.write_text(FLIP)
    os.chown(path, 4321, 4322)
    assert fix(path, capsys=capsys) == 0
    assert path.read_text() == FLIP_FIXED
    assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4322)


@pytest.mark.parametrize("chown", ["refused", "missing"])
def test_an_owner_that_cannot_be_kept_does_not_stop_the_fix(tmp_path, capsys, monkeypatch, chown):
    """Only root may give a file away (others get PermissionError), and Windows has no chown."""
    path = tmp_path / "a.py"
    path.write_text(FLIP)
    monkeypatch.setattr(writing.os, "getuid", lambda: os.stat(path).st_uid + 1)  # the file is someone else's
    if chown == "missing":
        monkeypatch.delattr(writing.os, "chown")
    else:
        def refuse(*args):
            raise PermissionError(errno.EPERM, "Operation not permitted")

        monkeypatch.setattr(writing.os, "chown", refuse)
    assert fix(path, capsys=capsys) == 0
    assert path.read_text() == FLIP_FIXED


def test_fix_that_does_not_compile_is_refused_and_names_its_rule(tmp_path, capsys, monkeypatch):
    """LibCST accepts code Python rejects: an import before ``from __future__``. A helper that
    put new lines first would produce it; the compile gate refuses the result."""
    import torchbridge.rules.device.fix as device_fix
    import torchbridge.rules.imports as imports
    from torchbridge.diagnostics.fix import insert_line_before

    monkeypatch.setattr(device_fix, "new_line_after_header", lambda model, line: insert_line_before(imports.layout(model).first, line))
    path = tmp_path / "a.py"
    original = "from __future__ import annotations\nimport torch\nx = torch.nn.Linear(3, 3).cuda()\n"
    path.write_text(original)
    code = main(["fix", "--isolated", "--unsafe-fixes", str(path)])
    out, _ = capsys.readouterr()
    assert code == 1
    assert ("fix-error: not fixed: the fix for TNP302 produced code that does not compile (SyntaxError: from "
            "__future__ imports must occur at the beginning of the file (line 3)); the file was left unchanged") in out
    assert path.read_text() == original


def test_a_fix_the_linter_cannot_read_back_is_refused(monkeypatch):
    """The fixed text goes through the pre-scan like any file: code it would skip (here nested
    deeper than a lowered limit) is refused, and the original kept."""
    import torchbridge.engine.prescan as prescan

    source = "import numpy as np\nimport torch\nrgb = np.zeros(3)[::-1]\nt = torch.from_numpy(rgb)\n"
    monkeypatch.setattr(prescan, "MAX_DEPTH", 1)  # the original's depth: the fix's .copy() goes one deeper
    result = fix_source(source)
    assert result.source == source and not result.applied
    (error,) = [f for f in result.remaining if f.code is None]
    assert (error.line, error.column) == (4, 5)
    assert error.message == "not fixed: the fix for TNP102 produced code that cannot be parsed; the file was left unchanged"


def test_a_fix_that_changes_nothing_is_refused_as_not_settling(monkeypatch):
    """A fix whose text is one already seen would loop: refused, the original kept."""
    import torchbridge.rules.numpy_to_torch.tnp102_negative_stride_to_tensor as tnp102
    from torchbridge.diagnostics.fix import replace

    monkeypatch.setattr(tnp102, "append_method", lambda expr, call: (replace(expr, "rgb"),))
    result = fix_source(FLIP)
    assert result.source == FLIP and not result.applied
    (error,) = [f for f in result.remaining if f.code is None]
    assert error.message == ("not fixed: the fix for TNP102 undoes an earlier fix (the fixes do not settle); "
                             "the file was left unchanged")


def test_fix_that_cannot_be_parsed_is_refused(monkeypatch):
    import torchbridge.rules.numpy_to_torch.tnp102_negative_stride_to_tensor as tnp102
    from torchbridge.diagnostics.fix import insert_after

    monkeypatch.setattr(tnp102, "append_method", lambda expr, call: (insert_after(expr, ".copy("),))
    result = fix_source(FLIP)
    assert result.source == FLIP and not result.applied
    (error,) = [f for f in result.remaining if f.code is None]
    assert error.name == "fix-error" and "TNP102" in error.message and error.line == 5


def test_fixes_that_do_not_settle_are_refused(monkeypatch):
    nested = "import numpy as np\nimport torch\ndef f():\n    m = np.eye(3)\n    return torch.tensor(np.flip(m, axis=0))\n"
    assert fix_source(nested).source.count("as_tensor(np.flip(m, axis=0).copy())") == 1  # two passes
    monkeypatch.setattr(fixer, "MAX_PASSES", 1)
    result = fix_source(nested)
    assert result.source == nested
    assert any(f.name == "fix-error" and "TNP101" in f.message and "after 1 passes" in f.message for f in result.remaining)


def _kill_at_first_write(folder: Path) -> None:
    """Run ``fix`` over ``folder`` and kill it as soon as one file has been replaced (a new
    inode: ``os.replace`` of the temporary file): a signal of progress, not a delay, so the
    kill lands mid-run on a fast machine and a slow one alike."""
    before = {entry.name: entry.inode() for entry in os.scandir(folder)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "torchbridge", "fix", "--isolated", "-j", "2", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    deadline = time.monotonic() + 120
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if any(before.get(entry.name, entry.inode()) != entry.inode() for entry in os.scandir(folder)):
                break
            time.sleep(0.002)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def test_killed_run_leaves_every_file_old_or_new(tmp_path):
    """Kill a fix run over many files mid-way: each file is then byte for byte the original
    or the fixed version, and no temporary file is left where a run would check it."""
    count = 300
    for attempt in range(3):  # a run that finished before the kill is tried again, larger
        folder = tmp_path / f"run{attempt}"
        folder.mkdir()
        tails = [f"# {index}\n" + "pad = 1\n" * 200 for index in range(count)]
        for index, tail in enumerate(tails):
            (folder / f"m{index:04}.py").write_text(FLIP + tail)
        _kill_at_first_write(folder)
        states = {"old": 0, "new": 0}
        for index, tail in enumerate(tails):
            text = (folder / f"m{index:04}.py").read_text()
            assert text in (FLIP + tail, FLIP_FIXED + tail), f"m{index:04}.py is half-written"
            states["old" if text == FLIP + tail else "new"] += 1
        assert not [p for p in folder.iterdir() if p.suffix == ".py" and not p.name.startswith("m")]
        if states["old"] and states["new"]:
            return
        count *= 4
    pytest.fail(f"no run was killed mid-way in 3 tries: {states}")


def test_code_valid_only_without_this_modules_future_imports_is_still_fixed():
    """The compile gate judges the file by its own future imports, not torchbridge's: a walrus
    in an annotation is valid Python, but not under ``from __future__ import annotations``."""
    source = "def f(a: (n := 1)):\n    pass\n" + FLIP
    result = fix_source(source)
    assert result.source == source.replace("from_numpy(rgb)", "from_numpy(rgb.copy())")
    assert [f.code for f in result.applied] == ["TNP102"]


def test_a_fix_in_two_passes_keeps_the_bom_and_reports_both_fixes():
    nested = "import numpy as np\nimport torch\ndef f():\n    m = np.eye(3)\n    return torch.tensor(np.flip(m, axis=0))\n"
    result = fix_source("\ufeff" + nested)
    assert result.source == "\ufeff" + nested.replace("torch.tensor(np.flip(m, axis=0))", "torch.as_tensor(np.flip(m, axis=0).copy())")
    assert sorted(f.code for f in result.applied) == ["TNP101", "TNP102"]
