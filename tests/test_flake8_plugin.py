"""The flake8 plugin reports what ``torchbridge check`` reports: same codes, lines, columns,
messages and selection, for files on disk and for editor buffers piped through stdin."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from flake8.main import cli as flake8_cli

import torchbridge
from torchbridge import cli as torchbridge_cli
from torchbridge.flake8_plugin import NOT_CHECKED_CODE, TorchbridgeChecker

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"

# flake8's default format: path:row:col: CODE text, with col 1-based.
_FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+): (?P<code>[A-Z]+[0-9]+) (?P<message>.*)$")

# Files that give TNP301, TNP302 and TNP308 findings whatever fixtures/ holds, with the
# positions that are easy to get wrong: non-ASCII text before a finding, tabs, multi-line
# calls, a BOM, CRLF line ends, guarded code and # noqa.
GENERATED = {
    "devices.py": (
        "import torch\n"
        "x = torch.zeros(3).to(\"cuda\")\n"
        "label = \"températures €\"; y = x.to('cuda:1')\n"
        "w = torch.load(\n"
        "    \"w.pt\",\n"
        "    map_location=\"cuda\",\n"
        ")\n"
        "dev = torch.device(\"cuda\")\n"
        "z = x.to(dev)\n"
    ),
    "calls.py": (
        "import torch\n"
        "\n"
        "def build():\n"
        "\tmodel = torch.nn.Linear(2, 2).cuda()\n"
        "\tfor _ in range(2):\n"
        "\t\temoji = \"😀\"; model = model.cuda(0)\n"
        "\treturn model\n"
        "\n"
        "if torch.cuda.is_available():\n"
        "    guarded = torch.zeros(1).cuda()\n"
        "suppressed = torch.zeros(1).cuda()  # noqa: TNP302\n"
    ),
    "defaults.py": (
        "import argparse\n"
        "import torch\n"
        "\n"
        "parser = argparse.ArgumentParser()\n"
        "parser.add_argument(\"--device\", type=str, default=\"cuda\")\n"
        "\n"
        "def run(x, device=\"cuda\", ü=1):\n"
        "    return x\n"
    ),
    "bom_crlf.py": "\ufeffimport torch\r\n# é\r\ns = 'ß'; t = torch.ones(1).cuda()\r\n",
    "no_torch.py": "import numpy as np\nx = np.zeros(3)\n",
}


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _output(process: subprocess.Popen[bytes], stdin: bytes = b"") -> str:
    stdout, stderr = process.communicate(stdin, timeout=120)
    assert process.returncode in (0, 1), stderr.decode("utf-8", "replace")
    return stdout.decode("utf-8")


def _key(path: str) -> str:
    return os.path.normpath(os.path.join(ROOT, path))


def _parse_flake8(text: str) -> list[tuple[str, int, int, str, str]]:
    rows = []
    for line in text.splitlines():
        match = _FLAKE8_LINE.match(line)
        assert match is not None, f"unexpected flake8 output: {line!r}"
        rows.append((_key(match["path"]), int(match["line"]), int(match["column"]), match["code"], match["message"]))
    return sorted(rows)


def _parse_json(text: str) -> list[tuple[str, int, int, str, str]]:
    rows = []
    for item in json.loads(text):
        # A file torchbridge could not check (code null) has no flake8 counterpart with
        # --select TNP: flake8 reports its own E999 for a syntax error and skips plugins.
        if item["code"] is not None:
            rows.append((_key(item["filename"]), item["line"], item["column"], item["code"], item["message"]))
    return sorted(rows)


def _torchbridge_check(argv: list[str]) -> str:
    """``torchbridge check ARGV`` in-process (from the repository root); its standard output."""
    stdout, cwd = sys.stdout, os.getcwd()
    sys.stdout = captured = io.StringIO()
    try:
        os.chdir(ROOT)
        code = torchbridge_cli.main(["check", *argv])
    finally:
        sys.stdout = stdout
        os.chdir(cwd)
    assert code in (0, 1), captured.getvalue()
    return captured.getvalue()


@pytest.fixture(autouse=True)
def plugin_defaults(monkeypatch):
    """The plugin keeps a reference to flake8's options (set by parse_options, so by every
    in-process flake8 run here): start each test from flake8's defaults, restore after."""
    monkeypatch.setattr(TorchbridgeChecker, "_options", None)
    monkeypatch.setattr(TorchbridgeChecker, "_resolvers", {})


# ---------------------------------------------------------------------------------------
# a. parity over fixtures/ and generated files


@pytest.fixture(scope="module")
def parity(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[str, int, int, str, str]]]:
    generated = tmp_path_factory.mktemp("generated")
    for name, text in GENERATED.items():
        (generated / name).write_bytes(text.encode("utf-8"))
    paths = [str(generated)]
    if FIXTURES.is_dir():
        paths.insert(0, "fixtures/")
    flake8 = [sys.executable, "-m", "flake8", "--isolated", "--select", "TNP"]
    # flake8 runs as the command an editor or CI would start; both runs at once, since
    # each spends most of its time starting up. torchbridge runs in-process meanwhile.
    running = {
        "flake8": _start([*flake8, *paths]),
        "flake8+308": _start([*flake8, "--extend-select", "TNP308", *paths]),
    }
    outputs = {
        "torchbridge": _torchbridge_check(["--output-format", "json", "--isolated", "-j", "1", *paths]),
        "torchbridge+308": _torchbridge_check(
            ["--output-format", "json", "--isolated", "-j", "1", "--extend-select", "TNP308", *paths]
        ),
    }
    outputs.update((name, _output(process)) for name, process in running.items())
    return {
        "torchbridge": _parse_json(outputs["torchbridge"]),
        "torchbridge+308": _parse_json(outputs["torchbridge+308"]),
        "flake8": _parse_flake8(outputs["flake8"]),
        "flake8+308": _parse_flake8(outputs["flake8+308"]),
        "generated": [str(generated)],
    }


def test_flake8_reports_what_torchbridge_check_reports(parity):
    assert parity["flake8"] == parity["torchbridge"]


def test_flake8_with_tnp308_reports_what_torchbridge_check_reports(parity):
    assert parity["flake8+308"] == parity["torchbridge+308"]


def test_parity_is_not_vacuous(parity):
    generated = parity["generated"][0]
    ours = [row for row in parity["torchbridge+308"] if row[0].startswith(generated)]
    codes = {row[3] for row in ours}
    assert {"TNP301", "TNP302", "TNP308"} <= codes
    # the default run leaves TNP308 out, the extended one adds exactly those findings
    assert "TNP308" not in {row[3] for row in parity["torchbridge"]}
    assert [row for row in parity["torchbridge+308"] if row[3] != "TNP308"] == parity["torchbridge"]
    # fixtures/ took part too, once it holds files that expect findings
    if any("# expect:" in p.read_text(encoding="utf-8") for p in FIXTURES.rglob("*.py")):
        assert any(row[0].startswith(str(FIXTURES) + os.sep) for row in parity["flake8+308"])


def test_parity_columns_are_code_point_columns(parity):
    """Spot-check the generated files against columns computed here from the text itself."""
    generated = Path(parity["generated"][0])
    expected = set()
    for name, needle in [
        ("devices.py", "'cuda:1'"),  # after "températures €"
        ("calls.py", "model.cuda(0)"),  # after two tabs and an emoji
        ("bom_crlf.py", "torch.ones(1).cuda()"),  # after a BOM line, CRLF and 'ß'
        ("defaults.py", '"cuda", ü'),
    ]:
        lines = GENERATED[name].lstrip("\ufeff").splitlines()
        number = next(i for i, line in enumerate(lines, 1) if needle in line)
        expected.add((_key(str(generated / name)), number, lines[number - 1].index(needle) + 1))
    reported = {row[:3] for row in parity["flake8+308"]}
    assert expected <= reported


# ---------------------------------------------------------------------------------------
# b. editors: the buffer on stdin, named by --stdin-display-name

EDITOR_BUFFER = (
    "import torch\n"
    "x = torch.zeros(1)\n"
    'y = "é€"; z = x.to("cuda")\n'
    "for i in range(2):\n"
    "\tw = x.cuda()\n"
    "\tif i:\n"
    '\t\tv = "😀𝔘"; u = x.to("cuda:0")\n'
)


@pytest.fixture(scope="module")
def editor_report() -> list[tuple[str, int, int, str, str]]:
    """``flake8 --select TNP --stdin-display-name x.py -`` with the buffer piped in."""
    flake8 = _start(
        [sys.executable, "-m", "flake8", "--isolated", "--select", "TNP", "--stdin-display-name", "x.py", "-"],
    )
    return _parse_flake8(_output(flake8, stdin=EDITOR_BUFFER.encode("utf-8")))


def test_stdin_buffer_is_reported_under_the_display_name(editor_report):
    assert editor_report
    assert {path for path, *_ in editor_report} == {_key("x.py")}


def test_stdin_buffer_columns_are_code_point_columns(editor_report):
    findings = torchbridge.check_source(EDITOR_BUFFER, filename="x.py")
    assert [row[1:] for row in editor_report] == [(f.line, f.column, f.code, f.message) for f in findings]
    # Computed here from the text, not taken from either tool: a UTF-8 byte column would be
    # larger after "é€" and "😀𝔘", and a tab-expanding one larger after the tabs.
    lines = EDITOR_BUFFER.splitlines()
    assert [row[1:3] for row in editor_report] == [
        (3, lines[2].index('"cuda"') + 1),
        (5, lines[4].index("x.cuda()") + 1),
        (5, lines[4].index("x.cuda()") + 1),  # TNP302 and TNP402 on one call: both are reported
        (7, lines[6].index("x.to(") + 1),  # TNP402: the same tensor moved on every iteration
        (7, lines[6].index('"cuda:0"') + 1),
    ]


def test_stdin_buffer_matches_torchbridge_check_stdin(editor_report, monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(EDITOR_BUFFER.encode("utf-8")), encoding="utf-8"))
    code = torchbridge_cli.main(["check", "--isolated", "--output-format", "json", "-", "--stdin-filename", "x.py"])
    assert code == 1
    ours = json.loads(capsys.readouterr().out)
    assert editor_report == sorted(
        (_key(f["filename"]), f["line"], f["column"], f["code"], f["message"]) for f in ours
    )


# ---------------------------------------------------------------------------------------
# c. selection: TNP308 is off by default and on for any selector more specific than TNP

SELECTION_SOURCE = (
    "import argparse\n"
    "import torch\n"
    "p = argparse.ArgumentParser()\n"
    'p.add_argument("--device", default="cuda")\n'
    'x = torch.zeros(1).to("cuda")\n'
    "y = x.cuda()\n"
)


def _flake8_in_process(argv: list[str], capsys) -> set[tuple[int, int, str]]:
    flake8_cli.main(argv)
    out = capsys.readouterr().out
    return {(row[1], row[2], row[3]) for row in _parse_flake8(out) if row[3].startswith("TNP")}


def _torchbridge_in_process(argv: list[str], capsys) -> set[tuple[int, int, str]]:
    torchbridge_cli.main(["check", "--isolated", "--output-format", "json", *argv])
    return {(f["line"], f["column"], f["code"]) for f in json.loads(capsys.readouterr().out)}


@pytest.mark.parametrize(
    ("options", "has_308"),
    [
        (["--select", "TNP"], False),
        (["--select", "TNP308"], True),
        (["--select", "TNP3"], True),
        (["--select", "TNP30"], True),
        (["--select", "TNP,TNP308"], True),
        (["--select", "TNP", "--extend-select", "TNP308"], True),
        (["--select", "TNP3", "--ignore", "TNP301"], True),
        (["--select", "TNP", "--ignore", "TNP302"], False),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_selection_matches_torchbridge_check(tmp_path, capsys, options, has_308):
    path = tmp_path / "train.py"
    path.write_text(SELECTION_SOURCE, encoding="utf-8")
    # flake8 in-process (its own command line, minus the interpreter start-up); the plugin's
    # selection state is set by flake8's parse_options on every run.
    flake8 = _flake8_in_process(["--isolated", *options, str(path)], capsys)
    ours = _torchbridge_in_process([*options, str(path)], capsys)
    assert flake8 == ours
    assert ("TNP308" in {code for _, _, code in flake8}) is has_308
    assert flake8, "every selection here reports something"


def test_flake8_legacy_api_selects_off_by_default_rules(tmp_path):
    """flake8's documented Python API takes ``select`` after plugins parsed their options;
    it must still turn TNP308 on, as ``flake8 --select TNP308`` does."""
    from flake8.api import legacy

    path = tmp_path / "train.py"
    path.write_text(SELECTION_SOURCE, encoding="utf-8")
    report = legacy.get_style_guide(select=["TNP308"], output_file=os.devnull).check_files([str(path)])
    assert report.get_statistics("TNP308") != []


# ---------------------------------------------------------------------------------------
# d. the plugin works on the lines flake8 gives it and never re-reads the file


def _expected_plugin_output(source: str) -> list[tuple[int, int, str]]:
    return [(f.line, f.column - 1, f"{f.code} {f.message}") for f in torchbridge.check_source(source, filename="x.py")]


def test_plugin_reads_the_given_lines_of_a_missing_file():
    lines = ["import torch\n", "x = torch.zeros(1)\n", 'y = "é"; z = x.to("cuda")\n', "w = x.cuda()\n"]
    results = list(TorchbridgeChecker(tree=None, lines=lines, filename="does/not/exist.py").run())
    assert [(line, column, text) for line, column, text, _ in results] == _expected_plugin_output("".join(lines))
    # flake8's 0-based code-point columns
    assert [(line, column) for line, column, _, _ in results] == [(3, lines[2].index('"cuda"')), (4, 4)]
    assert all(kind is TorchbridgeChecker for _, _, _, kind in results)


def test_plugin_ignores_the_file_on_disk(tmp_path):
    """An editor's unsaved buffer differs from the file: the buffer is what counts."""
    on_disk = tmp_path / "train.py"
    on_disk.write_text("import torch\nx = torch.zeros(1).cuda()\n", encoding="utf-8")
    clean_buffer = ["import torch\n", "x = torch.zeros(1)\n"]
    assert list(TorchbridgeChecker(tree=None, lines=clean_buffer, filename=str(on_disk)).run()) == []

    on_disk.write_text("import torch\n", encoding="utf-8")
    dirty_buffer = ["import torch\n", "\n", "x = torch.zeros(1).cuda()\n"]
    results = list(TorchbridgeChecker(tree=None, lines=dirty_buffer, filename=str(on_disk)).run())
    assert [(line, column) for line, column, _, _ in results] == [(3, 4)]


def test_plugin_leaves_noqa_to_flake8():
    """flake8 applies # noqa itself; the plugin must yield the finding for it to judge."""
    lines = ["import torch\n", "x = torch.zeros(1).cuda()  # noqa\n"]
    results = list(TorchbridgeChecker(tree=None, lines=lines, filename="x.py").run())
    assert [(line, column) for line, column, _, _ in results] == [(2, 4)]


def test_plugin_runs_off_by_default_rules_only_when_selected():
    lines = ["import torch\n", 'def f(device="cuda"):\n', "    return device\n"]
    assert list(TorchbridgeChecker(tree=None, lines=lines, filename="x.py").run()) == []

    for selectors in (["TNP"], ["E", "W"]):
        TorchbridgeChecker.parse_options(argparse.Namespace(select=selectors, extend_select=None))
        assert list(TorchbridgeChecker(tree=None, lines=lines, filename="x.py").run()) == []

    TorchbridgeChecker.parse_options(argparse.Namespace(select=["TNP"], extend_select=["TNP308"]))
    results = list(TorchbridgeChecker(tree=None, lines=lines, filename="x.py").run())
    assert [(line, column, text.split()[0]) for line, column, text, _ in results] == [(2, 13, "TNP308")]


def test_plugin_reports_a_file_it_cannot_check_as_tnp999():
    lines = ["import torch\n", "x = torch.zeros(1\x00).cuda()\n"]
    results = list(TorchbridgeChecker(tree=None, lines=lines, filename="x.py").run())
    assert len(results) == 1
    line, column, text, _ = results[0]
    assert text.startswith("TNP999 torchbridge could not check this file (syntax-error): ")
    assert (line, column) == (2, len("x = torch.zeros(1"))


# ---------------------------------------------------------------------------------------
# e. one project, one configuration: flake8 and the command line read the same [tool.torchbridge]

PROJECT_CONFIG = """\
[tool.torchbridge]
extend-select = ["TNP403"]
ignore = ["TNP204"]
per-file-ignores = {"scripts/*" = ["TNP301"]}
extend-exclude = ["generated/"]
torch-version = "2.4"
device-idiom = "accelerator"
max-file-size = 4000
"""

PROJECT_FILES = {
    "train.py": (
        "import torch\n"
        "model = torch.nn.Linear(2, 2)\n"
        "opt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "for batch in [torch.ones(2)]:\n"
        "    loss = model(batch).sum()\n"
        "    loss.backward()\n"
        "    opt.step()\n"
        "    print(loss.item())\n"  # TNP403: off by default, on in the configuration
        "x = torch.ones(1).cpu().detach()\n"  # TNP204: ignored by the configuration
        'y = torch.zeros(1).to("cuda")\n'  # TNP301
        "scaler = torch.cuda.amp.GradScaler()\n"  # TNP304
    ),
    "scripts/run.py": 'import torch\nx = torch.zeros(1).to("cuda")\ny = torch.zeros(1).cuda()\n',  # TNP301 ignored here
    "generated/gen.py": "import torch\nz = torch.zeros(1).cuda()\n",  # excluded
    "big.py": "import torch\n" + "a = 1\n" * 1000 + "b = torch.zeros(1).cuda()\n",  # over max-file-size
}


def test_flake8_and_the_cli_read_the_same_configuration(tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(PROJECT_CONFIG)
    for name, text in PROJECT_FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "TNP", "."], cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert flake8.returncode == 1, flake8.stderr
    rows = _parse_flake8(flake8.stdout.replace("./", str(tmp_path) + "/"))
    not_checked = [row for row in rows if row[3] == NOT_CHECKED_CODE]
    monkeypatch.chdir(tmp_path)
    ours = json.loads(_cli_output(["check", "--output-format", "json", "-j", "1", "--no-cache", "."]))
    expected = sorted(
        (os.path.normpath(os.path.join(tmp_path, f["filename"])), f["line"], f["column"], f["code"], f["message"])
        for f in ours if f["code"] is not None
    )
    assert [row for row in rows if row[3] != NOT_CHECKED_CODE] == expected
    codes = {(Path(path).name, code) for path, _, _, code, _ in expected}
    assert codes == {("train.py", "TNP403"), ("train.py", "TNP301"), ("train.py", "TNP304"), ("run.py", "TNP302")}
    # The file over max-file-size: a diagnostic for the CLI, TNP999 for flake8.
    assert [(Path(r[0]).name, r[3]) for r in not_checked] == [("big.py", NOT_CHECKED_CODE)]
    assert [f["name"] for f in ours if f["code"] is None] == ["too-large"]


def test_flake8_options_narrow_the_configured_set(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PROJECT_CONFIG)
    (tmp_path / "train.py").write_text(PROJECT_FILES["train.py"])
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "TNP", "--extend-ignore", "TNP403", "train.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert sorted(row[3] for row in _parse_flake8(flake8.stdout)) == ["TNP301", "TNP304"]
    isolated = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "TNP", "--torchbridge-isolated", "train.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert sorted(row[3] for row in _parse_flake8(isolated.stdout)) == ["TNP204", "TNP301", "TNP304"]


def test_a_bad_configuration_is_one_finding_not_a_crash(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.torchbridge]\nselect = ["TNP0"]\n')
    lines = ["import torch\n", "x = torch.zeros(1).cuda()\n"]
    results = list(TorchbridgeChecker(tree=None, lines=lines, filename=str(tmp_path / "a.py")).run())
    assert len(results) == 1 and results[0][2].startswith(f"{NOT_CHECKED_CODE} torchbridge could not read its configuration: ")


def test_the_plugin_registers_its_options():
    done = subprocess.run([sys.executable, "-m", "flake8", "--help"], capture_output=True, text=True, timeout=120)
    assert "--torchbridge-config" in done.stdout and "--torchbridge-isolated" in done.stdout


def _cli_output(argv: list[str]) -> str:
    stdout = sys.stdout
    sys.stdout = captured = io.StringIO()
    try:
        torchbridge_cli.main(argv)
    finally:
        sys.stdout = stdout
    return captured.getvalue()
