"""Files that cannot be checked: each gives exactly one clear diagnostic (a Finding whose
``code`` is None and whose ``name`` says why), the run goes on to the other files, no
traceback escapes, and the exit code is 1.

Inputs that crash LibCST's native parser are only ever handed to a child process, so a
regression in the pre-scan fails a test instead of killing the test run.
"""

from __future__ import annotations

import builtins
import faulthandler
import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import torchbridge.project.runner as runner
from torchbridge.cli import main
from torchbridge.engine.lint import lint_bytes
from torchbridge.engine.prescan import prescan
from torchbridge.finding import Finding
from torchbridge.project.config import ConfigResolver
from torchbridge.project.discovery import discover
from torchbridge.project.selection import Selection

DEFAULT_RULES = Selection().rules()

# A line with a TNP301 finding at a known place: the '"cuda"' literal.
CUDA_LINE = 'x = torch.zeros(3).to("cuda")'
GOOD = f"import torch\n{CUDA_LINE}\n"
GOOD_COLUMN = CUDA_LINE.index('"cuda"') + 1  # 23

needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the runner forks workers on Linux only")


# --------------------------------------------------------------------------- helpers


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err and "Traceback" not in out
    return code, out, err


def run_cli_json(capsys, *args: str) -> tuple[int, list[dict], str]:
    code, out, err = run_cli(capsys, "check", "--output-format", "json", *args)
    return code, json.loads(out), err


def by_file(records: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for record in records:
        grouped.setdefault(Path(record["filename"]).name, []).append(record)
    return grouped


def only_diagnostic(findings: list[Finding], name: str) -> Finding:
    assert len(findings) == 1, findings
    (finding,) = findings
    assert finding.code is None and finding.is_diagnostic
    assert finding.name == name, finding
    assert finding.message.strip() and "\n" not in finding.message
    return finding


def lint(data: bytes, rules=DEFAULT_RULES) -> list[Finding]:
    return lint_bytes(data, "x.py", rules)


def _no_core_dump() -> None:
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ImportError, ValueError, OSError):
        pass


def lint_in_child(tmp_path: Path, data: bytes, name: str = "case.py") -> tuple[int, list[dict], str]:
    """Check one file with ``python -m torchbridge`` in a child process (serially, -j 1),
    next to a good file; return the exit code, the JSON records and stderr."""
    folder = tmp_path / "child"
    folder.mkdir(exist_ok=True)
    (folder / name).write_bytes(data)
    (folder / "good.py").write_text(GOOD)
    proc = subprocess.run(
        [sys.executable, "-m", "torchbridge", "check", "--isolated", "-j", "1", "--output-format", "json", str(folder)],
        capture_output=True, timeout=120, cwd=tmp_path, preexec_fn=_no_core_dump,
    )
    stderr = proc.stderr.decode(errors="replace")
    try:
        records = json.loads(proc.stdout) if proc.stdout.strip() else []
    except json.JSONDecodeError:
        records = []
    return proc.returncode, records, stderr


def isolated_targets(*paths: Path):
    return list(discover(list(paths), ConfigResolver(isolated=True)))


# --------------------------------------------------------------------------- syntax errors


def test_syntax_error_is_one_diagnostic_with_its_line():
    data = b'import torch\nx = torch.zeros(3).to("cuda")\ny = 1 2\n'
    finding = only_diagnostic(lint(data), "syntax-error")
    assert finding.line == 3
    assert finding.message.startswith("SyntaxError")


def test_syntax_error_through_the_cli_goes_on_to_other_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.py").write_text('import torch\nx = "cuda"\ny = 1 2\n')
    (tmp_path / "good.py").write_text(GOOD)
    code, out, err = run_cli(capsys, "check", "--isolated", "bad.py", "good.py")
    assert code == 1
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith("bad.py:3:") and "syntax-error: SyntaxError" in lines[0]
    assert lines[1] == f"good.py:2:{GOOD_COLUMN}: TNP301 " + lines[1].split(" TNP301 ", 1)[1]
    assert lines[2] == "Found 1 finding in 1 file. 1 file could not be checked."
    assert lines[3:] == ["No fixes available (1 hidden fix can be enabled with `--unsafe-fixes`)."]


def _cpython_position(source: str) -> tuple[int, int]:
    try:
        compile(source, "x.py", "exec")
    except SyntaxError as exc:
        return exc.lineno, exc.offset
    raise AssertionError("expected a SyntaxError")


def test_syntax_error_column_points_into_the_line():
    source = 'import torch\nx = "cuda"\ny = 1 2\n'
    finding = only_diagnostic(lint(source.encode()), "syntax-error")
    assert finding.line == 3
    assert finding.column in (5, 7)  # CPython's offset (5) or the unexpected token (7)


@pytest.mark.parametrize(
    "source",
    [
        'import torch\nx = "cuda"\ny = "abc\n',
        "import torch\nif True:\n\tx = 1\n        y = x.cuda()\n",
    ],
    ids=["unterminated-string", "inconsistent-tabs"],
)
def test_tokenizer_error_reports_its_line(source):
    finding = only_diagnostic(lint(source.encode()), "syntax-error")
    assert finding.line == _cpython_position(source)[0]


def test_syntax_error_line_is_the_offending_line():
    source = 'import torch\nx = torch.zeros(3).to("cuda")\ndef f(:\n    pass\n'
    finding = only_diagnostic(lint(source.encode()), "syntax-error")
    assert (finding.line, finding.column) == _cpython_position(source)


# --------------------------------------------------------------------------- encodings and line endings


def test_latin1_cookie_decodes_and_columns_count_code_points():
    line = 's = "\xe9\xe9"; x = torch.zeros(3).to("cuda")'
    data = b"# -*- coding: latin-1 -*-\nimport torch\n" + line.encode("latin-1") + b"\n"
    findings = lint(data)
    assert [(f.code, f.line) for f in findings] == [("TNP301", 3)]
    expected_column = line.index('"cuda"') + 1
    assert findings[0].column == expected_column
    # Two non-ASCII code points before the literal: UTF-8 bytes would put it two columns right.
    assert line.encode("utf-8").index(b'"cuda"') + 1 == expected_column + 2
    assert findings[0].end_column == expected_column + len('"cuda"')


def test_utf8_non_ascii_columns_count_code_points():
    line = 'label = "é😀"; x = torch.zeros(3).to("cuda")'
    findings = lint(f"import torch\n{line}\n".encode())
    assert [(f.line, f.column) for f in findings] == [(2, line.index('"cuda"') + 1)]


def test_utf8_bom_is_not_a_column():
    findings = lint(b"\xef\xbb\xbf" + f"import torch; {CUDA_LINE}\n".encode())
    assert [(f.code, f.line, f.column) for f in findings] == [
        ("TNP301", 1, len("import torch; ") + GOOD_COLUMN)
    ]


def test_bom_with_conflicting_cookie_is_a_decode_error():
    data = b"\xef\xbb\xbf# coding: latin-1\nimport torch\nx = torch.zeros(1).cuda()\n"
    only_diagnostic(lint(data), "decode-error")


def test_crlf_line_endings():
    data = f"import torch\r\n\r\n# a comment\r\n{CUDA_LINE}\r\ny = x.cuda()\r\n".encode()
    assert [(f.code, f.line, f.column) for f in lint(data)] == [
        ("TNP301", 4, GOOD_COLUMN),
        ("TNP302", 5, 5),
    ]


def test_lone_cr_line_endings():
    data = f"import torch\r\r# a comment\r{CUDA_LINE}\ry = x.cuda()\r".encode()
    assert [(f.code, f.line, f.column) for f in lint(data)] == [
        ("TNP301", 4, GOOD_COLUMN),
        ("TNP302", 5, 5),
    ]


def test_mixed_line_endings():
    data = f"import torch\r\n\r{CUDA_LINE}\ny = x.cuda()\r\n".encode()
    assert [(f.code, f.line) for f in lint(data)] == [("TNP301", 3), ("TNP302", 4)]


def test_tab_indentation_counts_a_tab_as_one_column():
    data = f"import torch\nif True:\n\t{CUDA_LINE}\n\tif True:\n\t\ty =\tx.cuda()\n".encode()
    assert [(f.code, f.line, f.column) for f in lint(data)] == [
        ("TNP301", 3, GOOD_COLUMN + 1),
        ("TNP302", 5, len("\t\ty =\t") + 1),
    ]


def test_inconsistent_tabs_and_spaces_is_one_syntax_error():
    data = b"import torch\nif True:\n\tx = 1\n        y = x.cuda()\n"
    only_diagnostic(lint(data), "syntax-error")


def test_nul_byte_is_a_syntax_error_at_its_position():
    data = f"import torch\n{CUDA_LINE}\x00\n".encode()
    finding = only_diagnostic(lint(data), "syntax-error")
    assert (finding.line, finding.column) == (2, len(CUDA_LINE) + 1)
    assert "NUL" in finding.message


def test_invalid_utf8_without_cookie_is_a_decode_error():
    data = b'import torch\ns = "\xff\xfe"; x = torch.zeros(3).to("cuda")\n'
    finding = only_diagnostic(lint(data), "decode-error")
    assert "utf-8" in finding.message


def test_unknown_encoding_in_cookie_is_a_decode_error():
    data = b"# -*- coding: klingon -*-\nimport torch\nx = torch.zeros(3).cuda()\n"
    finding = only_diagnostic(lint(data), "decode-error")
    assert "klingon" in finding.message


@pytest.mark.parametrize("codec", ["rot13", "hex", "base64", "zlib"])
def test_non_text_codec_in_cookie_is_a_decode_error(codec):
    data = f"# coding: {codec}\nimport torch\nx = torch.zeros(3).cuda()\n".encode()
    only_diagnostic(lint(data), "decode-error")


# --------------------------------------------------------------------------- file system trouble


def test_unreadable_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "secret.py").write_text(GOOD)
    (tmp_path / "good.py").write_text(GOOD)
    real_open = builtins.open

    def fake_open(file, *args, **kwargs):
        if Path(file).name == "secret.py":
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(runner, "open", fake_open, raising=False)
    code, records, err = run_cli_json(capsys, "--isolated", "-j", "1", ".")
    assert code == 1 and err == ""
    files = by_file(records)
    assert [r["name"] for r in files["secret.py"]] == ["io-error"]
    assert files["secret.py"][0]["code"] is None
    assert "Permission denied" in files["secret.py"][0]["message"]
    assert [r["code"] for r in files["good.py"]] == ["TNP301"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_file_that_vanishes_during_the_run(tmp_path, jobs):
    for name in ("a.py", "gone.py", "z.py"):
        (tmp_path / name).write_text(GOOD)
    targets = isolated_targets(tmp_path)
    assert [t.path.name for t in targets] == ["a.py", "gone.py", "z.py"]
    (tmp_path / "gone.py").unlink()
    findings = runner.check_files(targets, jobs=jobs)
    gone = [f for f in findings if Path(f.filename).name == "gone.py"]
    only_diagnostic(gone, "io-error")
    assert "disappeared" in gone[0].message
    assert sorted(Path(f.filename).name for f in findings if f.code == "TNP301") == ["a.py", "z.py"]


def test_symlink_loop_and_dangling_symlink_in_a_checked_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "good.py").write_text(GOOD)
    os.symlink("b.py", pkg / "a.py")
    os.symlink("a.py", pkg / "b.py")
    os.symlink("nowhere.py", pkg / "dangling.py")
    os.symlink(".", pkg / "self_dir")  # a directory link to itself: never followed
    code, records, err = run_cli_json(capsys, "--isolated", "pkg")
    assert code == 1 and err == ""
    files = by_file(records)
    assert set(files) == {"a.py", "b.py", "dangling.py", "good.py"}
    for name in ("a.py", "b.py", "dangling.py"):
        assert [(r["code"], r["name"]) for r in files[name]] == [(None, "io-error")]
    assert [r["code"] for r in files["good.py"]] == ["TNP301"]


def test_symlink_loop_given_explicitly(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    os.symlink("b.py", tmp_path / "a.py")
    os.symlink("a.py", tmp_path / "b.py")
    os.symlink("nowhere.py", tmp_path / "dangling.py")
    (tmp_path / "good.py").write_text(GOOD)
    code, out, err = run_cli(capsys, "check", "--isolated", "a.py", "dangling.py", "missing.py", "good.py")
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("a.py:1:1: io-error: ")
    assert lines[1].startswith("dangling.py:1:1: io-error: ")
    assert lines[2].startswith(f"good.py:2:{GOOD_COLUMN}: TNP301 ")
    assert lines[3].startswith("missing.py:1:1: io-error: ")
    assert lines[4] == "Found 1 finding in 1 file. 3 files could not be checked."
    assert len(lines) == 6  # and the unsafe-fix hint


def test_unlistable_directory_is_reported(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "hidden.py").write_text(GOOD)
    (tmp_path / "good.py").write_text("import torch\n")
    real_scandir = os.scandir

    def fake_scandir(path="."):
        if Path(os.fsdecode(path)).name == "locked":
            raise PermissionError(13, "Permission denied", os.fsdecode(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", fake_scandir)
    code, records, err = run_cli_json(capsys, "--isolated", "-j", "1", ".")
    assert any(r["name"] == "io-error" and "locked" in r["filename"] for r in records), records
    assert code == 1


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
def test_named_pipe_in_a_checked_folder_does_not_hang(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "good.py").write_text(GOOD)
    fifo = pkg / "pipe.py"
    os.mkfifo(fifo)
    result: dict[str, list[Finding]] = {}

    def work() -> None:
        result["findings"] = runner.check_files(isolated_targets(pkg), jobs=1)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(3)
    hung = thread.is_alive()
    if hung:  # release the blocked reader so that no thread is left behind
        for _ in range(50):
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                break
            except OSError:
                time.sleep(0.1)
        thread.join(10)
    assert not hung, "the run blocked on a named pipe"
    pipe = [f for f in result["findings"] if Path(f.filename).name == "pipe.py"]
    only_diagnostic(pipe, "io-error")


# --------------------------------------------------------------------------- size and complexity


def test_50000_line_file_is_checked_with_correct_findings(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    lines = [f"a{i} = {i}" for i in range(1, 50_001)]
    lines[0] = "import torch"
    expected = {10: ("TNP302", 5), 25_000: ("TNP301", GOOD_COLUMN), 49_999: ("TNP302", 5)}
    for number, (code, _) in expected.items():
        lines[number - 1] = "y = x.cuda()" if code == "TNP302" else CUDA_LINE
    (tmp_path / "big.py").write_text("\n".join(lines) + "\n")
    start = time.perf_counter()
    code, records, err = run_cli_json(capsys, "--isolated", "big.py")
    elapsed = time.perf_counter() - start
    assert code == 1 and err == ""
    assert [(r["line"], (r["code"], r["column"])) for r in records] == sorted(expected.items())
    # About 5 s on a quiet machine (LibCST parse, one walk, positions up to the last finding);
    # the bound only catches something quadratic.
    assert elapsed < 90, f"a 50,000-line file took {elapsed:.1f} s"


def test_file_over_the_size_limit_is_reported_and_the_run_goes_on(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    # 1.2 MB: over the default limit of 1 MiB (a 200,000-line file took 87 s and 2.3 GB).
    (tmp_path / "huge.py").write_text("import torch\n" + "x = 1\n" * 200_000 + "y = torch.zeros(1).cuda()\n")
    (tmp_path / "small.py").write_text("import torch\ny = torch.zeros(1).cuda()\n")
    code, records, err = run_cli_json(capsys, "--isolated", ".")
    assert code == 1 and err == ""
    found = {name: [(r["name"], r["code"]) for r in rs] for name, rs in by_file(records).items()}
    assert found == {"huge.py": [("too-large", None)], "small.py": [("hardcoded-cuda-call", "TNP302")]}
    [huge] = by_file(records)["huge.py"]
    assert "1,200,039 bytes" in huge["message"] and "max-file-size" in huge["message"]


def test_size_limit_is_a_setting(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    source = "import torch\ny = torch.zeros(1).cuda()  # é\n"
    size = len(source.encode())  # bytes, not characters: one more than len(source)
    (tmp_path / "a.py").write_text(source)
    for limit, names in ((size - 1, ["too-large"]), (size, ["hardcoded-cuda-call"])):
        (tmp_path / "pyproject.toml").write_text(f"[tool.torchbridge]\nmax-file-size = {limit}\n")
        code, records, _ = run_cli_json(capsys, ".")
        assert (code, [r["name"] for r in records]) == (1, names)
    assert fix_source_with_limit(source, size - 1) == source  # never fixed either


def fix_source_with_limit(source: str, limit: int) -> str:
    from torchbridge.engine.source import from_text
    from torchbridge.fixing.loop import fix_source_text
    from torchbridge.rules import RuleOptions

    options = RuleOptions(max_file_size=limit)
    return fix_source_text(from_text(source), "a.py", DEFAULT_RULES, unsafe=True, options=options).text


@pytest.mark.parametrize("value", ["0", "-5", '"1MB"', "1.5", "true"])
def test_bad_size_limit_is_a_configuration_error(tmp_path, monkeypatch, capsys, value):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("import torch\n")
    (tmp_path / "pyproject.toml").write_text(f"[tool.torchbridge]\nmax-file-size = {value}\n")
    code, out, err = run_cli(capsys, "check", ".")
    assert code == 2 and "max-file-size" in err and "bytes" in err and "Traceback" not in err


# --------------------------------------------------------------------------- broken files no rule could match


@pytest.mark.parametrize(
    "source",
    ["import torch\ndef f(:\n    pass\n", "import numpy as np\nx = [1, 2\n", "import torch\nif x\n    y = 1\n"],
)
def test_broken_torch_file_that_no_rule_matches_is_a_syntax_error(source):
    assert not any(rule_could_match(rule, source) for rule in DEFAULT_RULES)
    [finding] = lint(source.encode())
    assert (finding.name, finding.code) == ("syntax-error", None)
    compile_error = syntax_error_of(source)
    assert (finding.line, finding.column) == (compile_error.lineno, compile_error.offset)


def test_syntax_newer_than_the_running_python_is_not_called_broken():
    # PEP 695 (Python 3.12): CPython 3.11 rejects it, LibCST reads it.
    source = "import torch\ntype Batch = list[torch.Tensor]\ndef first[T](items: list[T]) -> T:\n    return items[0]\n"
    assert not any(rule_could_match(rule, source) for rule in DEFAULT_RULES)
    assert lint(source.encode()) == []


def test_broken_file_about_neither_torch_nor_numpy_is_still_skipped():
    # Documented: such files are left to the project's other tools, unparsed.
    assert lint(b"def f(:\n    pass\n") == []


def rule_could_match(rule, source: str) -> bool:
    from torchbridge.engine.prefilter import could_match

    return could_match(source, rule)


def syntax_error_of(source: str) -> SyntaxError:
    try:
        compile(source, "case.py", "exec")
    except SyntaxError as error:
        return error
    raise AssertionError("the source compiles")


NESTED = "import torch\nx = torch.zeros(1).cuda()\ny = " + "(" * 2000 + "1" + ")" * 2000 + "\n"
PLUS_CHAIN = "import torch\nx = torch.zeros(1).cuda()\n\ny = " + "+".join(["a"] * 8000) + "\n"
ATTR_CHAIN = "import torch\nx = torch.zeros(1).cuda()\nz = 1\n\ny = a" + ".b" * 5000 + "\n"
# A chain of call trailers alone, inside a container (found by the fuzz test: 8,500 of them
# took LibCST 47 s to parse).
CALL_CHAIN = "import torch\nx = torch.zeros(1).cuda()\n\n\n\ny = {'a': f" + "()" * 5000 + "}\n"
PATHOLOGICAL = {
    "nested.py": (NESTED, 3), "plus.py": (PLUS_CHAIN, 4), "attr.py": (ATTR_CHAIN, 5), "calls.py": (CALL_CHAIN, 6),
}


@pytest.mark.parametrize("name", sorted(PATHOLOGICAL))
def test_prescan_flags_pathological_input(name):
    source, line = PATHOLOGICAL[name]
    assert "torch" in source and ".cuda(" in source  # the prefilter must not skip it
    found = prescan(source)
    assert found is not None and found.line == line


def test_pathological_files_are_skipped_as_too_complex(tmp_path):
    """2,000 nested brackets, an 8,000-term ``+`` chain and a 5,000-term attribute chain would
    crash LibCST: they are skipped (in the same process, -j 1) and the good file is checked."""
    folder = tmp_path / "child"
    folder.mkdir()
    for name, (source, _) in PATHOLOGICAL.items():
        (folder / name).write_text(source)
    (folder / "good.py").write_text(GOOD)
    proc = subprocess.run(
        [sys.executable, "-m", "torchbridge", "check", "--isolated", "-j", "1", "--output-format", "json", str(folder)],
        capture_output=True, timeout=120, preexec_fn=_no_core_dump,
    )
    assert proc.returncode == 1, proc.stderr.decode(errors="replace")
    assert proc.stderr == b""
    files = by_file(json.loads(proc.stdout))
    for name, (_, line) in PATHOLOGICAL.items():
        assert [(r["code"], r["name"], r["line"]) for r in files[name]] == [(None, "too-complex", line)]
        assert "not checked" in files[name][0]["message"]
    assert [r["code"] for r in files["good.py"]] == ["TNP301"]


@pytest.mark.parametrize(
    "expression",
    [
        'f"{' + "(" * 2000 + "1" + ")" * 2000 + '}"',  # crashes the child
        'f"{' + "+".join(["a"] * 1500) + '}"',  # parsed although it chains 1,500 operators
        'f"{a' + ".b" * 1500 + '}"',
    ],
    ids=["nested-brackets", "plus-chain", "attribute-chain"],
)
def test_pathological_expression_inside_an_f_string_is_too_complex(tmp_path, expression):
    code, records, stderr = lint_in_child(tmp_path, f"import torch\nx = 'cuda'\ny = {expression}\n".encode())
    assert code == 1, f"exit {code}: {stderr[-300:]}"
    files = by_file(records)
    assert [r["name"] for r in files["case.py"]] == ["too-complex"]
    assert [r["code"] for r in files["good.py"]] == ["TNP301"]


def test_deeply_nested_lambdas_are_too_complex(tmp_path):
    source = "import torch\nx = 'cuda'\ny = " + "lambda: " * 1500 + "0\n"
    code, records, stderr = lint_in_child(tmp_path, source.encode())
    assert code == 1, f"exit {code}: {stderr[-300:]}"
    files = by_file(records)
    assert [r["name"] for r in files["case.py"]] == ["too-complex"]
    assert [r["code"] for r in files["good.py"]] == ["TNP301"]


@pytest.mark.parametrize(
    "expression",
    [" ".join(['"a"'] * 4000), "[a " + "for a in b " * 4000 + "]"],
    ids=["string-concatenation", "comprehension-clauses"],
)
def test_valid_but_huge_expression_is_not_called_a_syntax_error(tmp_path, expression):
    source = f"import torch\nx = 'cuda'\ny = {expression}\n"
    compile(source, "case.py", "exec")  # CPython accepts it
    code, records, stderr = lint_in_child(tmp_path, source.encode())
    assert code in (0, 1), stderr[-300:]
    names = [r["name"] for r in by_file(records).get("case.py", [])]
    assert names == ["too-complex"]


# --------------------------------------------------------------------------- a worker dies


def _crash_on_boom(real):
    def check_file(target, **options):  # options: the cache
        if target.path.name == "boom.py":
            faulthandler.disable()  # pytest's faulthandler would print the child's stack
            os.kill(os.getpid(), signal.SIGSEGV)
        return real(target, **options)

    return check_file


@needs_fork
def test_parallel_run_survives_a_dead_worker(tmp_path, monkeypatch):
    names = ["a.py", "b.py", "boom.py", "c.py", "d.py", "e.py"]
    for name in names:
        (tmp_path / name).write_text(GOOD)
    monkeypatch.setattr(runner, "check_file", _crash_on_boom(runner.check_file))
    findings = runner.check_files(isolated_targets(tmp_path), jobs=2)
    boom = [f for f in findings if Path(f.filename).name == "boom.py"]
    finding = only_diagnostic(boom, "internal-error")
    assert "crashed" in finding.message and f"signal {int(signal.SIGSEGV)}" in finding.message
    checked = sorted(Path(f.filename).name for f in findings if f.code == "TNP301")
    assert checked == [n for n in names if n != "boom.py"]


@needs_fork
def test_dead_worker_through_the_cli(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    for name in ("a.py", "boom.py", "z.py"):
        (tmp_path / name).write_text(GOOD)
    monkeypatch.setattr(runner, "check_file", _crash_on_boom(runner.check_file))
    code, out, err = run_cli(capsys, "check", "--isolated", "-j", "2", ".")
    assert code == 2  # an internal error
    assert err == ""
    lines = out.splitlines()
    assert lines[0].startswith(f"a.py:2:{GOOD_COLUMN}: TNP301 ")
    assert lines[1].startswith("boom.py:1:1: internal-error: ")
    assert lines[2].startswith(f"z.py:2:{GOOD_COLUMN}: TNP301 ")
    assert len(lines) == 5  # the summary, the unsafe-fix hint


# --------------------------------------------------------------------------- all at once


def _bad_inputs() -> dict[str, tuple[bytes, str]]:
    return {
        "syntax.py": (b'import torch\nx = "cuda"\ny = 1 2\n', "syntax-error"),
        "nul.py": (GOOD.encode() + b"\x00\n", "syntax-error"),
        "undecodable.py": (b'import torch\nx = "\xff"; y = x.cuda()\n', "decode-error"),
        "klingon.py": (b"# coding: klingon\nimport torch\ny = x.cuda()\n", "decode-error"),
        "nested.py": (NESTED.encode(), "too-complex"),
        "plus.py": (PLUS_CHAIN.encode(), "too-complex"),
        "attr.py": (ATTR_CHAIN.encode(), "too-complex"),
    }


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_folder_of_bad_files(tmp_path, monkeypatch, capsys, jobs):
    monkeypatch.chdir(tmp_path)
    for name, (data, _) in _bad_inputs().items():
        (tmp_path / name).write_bytes(data)
    (tmp_path / "latin1.py").write_bytes(b"# coding: latin-1\nimport torch\ns = '\xe9'; y = x.cuda()\n")
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + GOOD.encode())
    (tmp_path / "crlf.py").write_bytes(GOOD.replace("\n", "\r\n").encode())
    (tmp_path / "cr.py").write_bytes(GOOD.replace("\n", "\r").encode())
    os.symlink("loop2.py", tmp_path / "loop1.py")
    os.symlink("loop1.py", tmp_path / "loop2.py")
    code, records, err = run_cli_json(capsys, "--isolated", "-j", jobs, ".")
    assert code == 1 and err == ""
    files = by_file(records)
    for name, (_, diagnostic) in _bad_inputs().items():
        assert [(r["code"], r["name"]) for r in files[name]] == [(None, diagnostic)], name
    for name in ("loop1.py", "loop2.py"):
        assert [(r["code"], r["name"]) for r in files[name]] == [(None, "io-error")]
    assert [(r["code"], r["line"], r["column"]) for r in files["latin1.py"]] == [("TNP302", 3, len("s = 'é'; y = ") + 1)]
    for name in ("bom.py", "crlf.py", "cr.py"):
        assert [(r["code"], r["line"], r["column"]) for r in files[name]] == [("TNP301", 2, GOOD_COLUMN)]


def test_stdin_with_undecodable_bytes(monkeypatch, capsys):
    stdin = io.TextIOWrapper(io.BytesIO(b'import torch\nx = "\xff".cuda()\n'))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, err = run_cli(capsys, "check", "--isolated", "-", "--stdin-filename", "piped.py")
    assert code == 1 and err == ""
    assert out.splitlines()[0].startswith("piped.py:1:1: decode-error: ")


# --------------------------------------------------------------------------- the cyclic collector


@pytest.mark.parametrize(
    "source",
    [
        "import torch\nx = torch.zeros(1).cuda()\n",  # findings
        "import torch\nx = torch.zeros(1)\n",  # none
        "import torch\ndef f(:\n    x.cuda()\n",  # a syntax error, reported from inside the parse
        "import torch\nx = m.cuda()\ny = " + "(" * 2000 + "1" + ")" * 2000 + "\n",  # too complex
    ],
)
def test_the_cyclic_collector_is_left_as_it_was_found(source):
    """It is off while a file is parsed and checked (a long run's GC pauses would rescan the
    tree's young objects), and back on afterwards whatever the outcome; a caller that turned
    it off keeps it off."""
    import gc

    assert gc.isenabled()
    lint(source.encode())
    assert gc.isenabled()
    gc.disable()
    try:
        lint(source.encode())
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_cyclic_collector_is_back_on_after_an_internal_error(monkeypatch):
    import gc

    from torchbridge.engine import lint as engine

    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(engine, "_positions", broken)
    [finding] = lint(b"import torch\nx = torch.zeros(1).cuda()\n")
    assert finding.name == "internal-error" and gc.isenabled()
