"""``torchbridge check`` / ``rule`` / ``rules`` as a user sees them: options, output formats,
exit codes, standard input and which files a run finds. Bad files are tests/engine/test_bad_input.py's,
configuration files tests/project/test_config.py's."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from torchbridge.rules import all_rules

DEVICE = 'import torch\nx = torch.zeros(3).to("cuda")\n'  # TNP301 at 2:23
CALL = "import torch\ny = x.cuda()\n"  # TNP302 at 2:5
# TNP308 at 4:36, when selected: it is off by default.
DEFAULT_ARG = 'import argparse\nimport torch\np = argparse.ArgumentParser()\np.add_argument("--device", default="cuda")\n'
# What check says after its summary when the findings have only unsafe fixes.
HINT1 = "No fixes available (1 hidden fix can be enabled with `--unsafe-fixes`)."
HINT2 = "No fixes available (2 hidden fixes can be enabled with `--unsafe-fixes`)."
THREE = {"a.py": DEVICE, "b.py": CALL, "c.py": DEFAULT_ARG}
DOC_HEADINGS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety", "## References"]
TEXT_LINE = re.compile(r"^(?P<path>[^:]+):(?P<line>\d+):(?P<column>\d+): (?P<code>TNP\d{3}) (?P<message>\S.*)$")


# --------------------------------------------------------------------------- paths and the module


def test_default_path_is_the_working_directory(tree, cli):
    tree({"a.py": DEVICE, "sub/b.py": CALL})
    code, out, err = cli("check")  # the default job count: worker processes
    assert (code, err) == (1, "")
    assert [line.split(": ")[0] for line in out.splitlines()] == ["a.py:2:23", "sub/b.py:2:5", "Found 2 findings in 2 files.", HINT2]
    assert cli("check", ".") == (code, out, err)


def test_python_dash_m_torchbridge(tree):
    """The one subprocess: ``python -m torchbridge`` must work without the console script."""
    tmp = tree({"a.py": DEVICE})
    proc = subprocess.run(
        [sys.executable, "-m", "torchbridge", "check", "--output-format", "json", "a.py"],
        capture_output=True, text=True, timeout=120, cwd=tmp,
    )
    assert (proc.returncode, proc.stderr) == (1, "")
    assert [(r["filename"], r["code"], r["line"]) for r in json.loads(proc.stdout)] == [("a.py", "TNP301", 2)]


# --------------------------------------------------------------------------- selection


@pytest.mark.parametrize(
    ("options", "codes"),
    [
        ([], {"TNP301", "TNP302"}),
        (["--select", "TNP"], {"TNP301", "TNP302"}),  # TNP alone never turns on an off-by-default rule
        (["--select", "TNP3"], {"TNP301", "TNP302", "TNP308"}),
        (["--select", "TNP30"], {"TNP301", "TNP302", "TNP308"}),
        (["--select", "TNP301"], {"TNP301"}),
        (["--select", "tnp301, TNP302"], {"TNP301", "TNP302"}),  # case and spaces do not matter
        (["--select", "TNP308"], {"TNP308"}),
        (["--extend-select", "TNP308"], {"TNP301", "TNP302", "TNP308"}),
        (["--select", "TNP", "--extend-select", "TNP308"], {"TNP301", "TNP302", "TNP308"}),
        (["--ignore", "TNP301"], {"TNP302"}),
        (["--ignore", "TNP3"], set()),
        (["--select", "TNP3", "--ignore", "TNP301"], {"TNP302", "TNP308"}),
        (["--select", "TNP301", "--ignore", "TNP3"], {"TNP301"}),  # the more specific selector wins
        (["--select", "TNP30", "--ignore", "TNP30"], set()),  # a tie goes to --ignore
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else None,
)
def test_select_extend_select_and_ignore(tree, cli, options, codes):
    tree(THREE)
    assert {code for _, code in cli.found(*options)} == codes


# --------------------------------------------------------------------------- output


def test_text_output_is_sorted_by_path_then_position(tree, cli):
    tree({
        "b.py": CALL,
        "a.py": 'import torch\ny = x.cuda(); z = torch.zeros(1).to("cuda")\nw = x.cuda()\n',
        "sub/c.py": DEVICE,
        "a_b.py": CALL,
    })
    code, out, err = cli("check", "-j", "1", "sub", "b.py", ".")  # given out of order, and twice
    assert (code, err) == (1, "")
    *lines, summary, hint = out.splitlines()
    assert hint == "No fixes available (6 hidden fixes can be enabled with `--unsafe-fixes`)."
    parsed = [TEXT_LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert [(m["path"], int(m["line"]), int(m["column"]), m["code"]) for m in parsed] == [
        ("a.py", 2, 5, "TNP302"),
        ("a.py", 2, 37, "TNP301"),
        ("a.py", 3, 5, "TNP302"),
        ("a_b.py", 2, 5, "TNP302"),
        ("b.py", 2, 5, "TNP302"),
        ("sub/c.py", 2, 23, "TNP301"),
    ]
    assert summary == "Found 6 findings in 4 files."
    # The message is the whole rest of the line: the same text as JSON's message.
    records = json.loads(cli("check", "-j", "1", "--output-format", "json", "sub", "b.py", ".")[1])
    assert [m["message"] for m in parsed] == [r["message"] for r in records]


@pytest.mark.parametrize(
    ("files", "summary"),
    [
        ({"clean.py": "import torch\n"}, "All checks passed!"),
        ({"a.py": DEVICE}, "Found 1 finding in 1 file."),
        ({"a.py": DEVICE + "z = y.cuda()\n"}, "Found 2 findings in 1 file."),
    ],
)
def test_text_summary_line(tree, cli, files, summary):
    tree(files)
    code, out, _ = cli("check", "-j", "1")
    lines = [line for line in out.splitlines() if "hidden fix" not in line]
    assert lines[-1] == summary
    assert code == (0 if summary.startswith("All") else 1)


def test_json_output_fields(tree, cli):
    tree({"a.py": DEVICE})
    code, out, err = cli("check", "--output-format", "json", "a.py")
    assert (code, err) == (1, "")
    (record,) = json.loads(out)
    assert list(record) == ["code", "name", "message", "filename", "line", "column", "end_line", "end_column", "fix"]
    assert {k: v for k, v in record.items() if k not in ("message", "fix")} == {
        "code": "TNP301", "name": "hardcoded-cuda-device", "filename": "a.py",
        "line": 2, "column": 23, "end_line": 2, "end_column": 29,
    }
    assert "'cuda'" in record["message"]
    fix = record["fix"]
    assert (fix["applicability"], fix["contract"]) == ("unsafe", "TNP30x/insert-device")
    assert fix["expect"]["verdicts"] == {"cpu": "crash-fix", "cuda": "equivalent"}
    # Edits in the findings' convention: 1-based lines, 1-based code-point columns.
    assert fix["edits"] == [
        {"content": '\nDEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")\n',
         "location": {"line": 2, "column": 1}, "end_location": {"line": 2, "column": 1}},
        {"content": "DEVICE", "location": {"line": 2, "column": 23}, "end_location": {"line": 2, "column": 29}},
    ]


def test_json_output_with_nothing_found_is_an_empty_array(tree, cli):
    tree({"clean.py": "import torch\nx = torch.zeros(3)\n"})
    assert cli("check", "--output-format", "json") == (0, "[]\n", "")


# --------------------------------------------------------------------------- exit codes


def test_exit_zero_reports_findings_but_exits_0(tree, cli):
    tree({"a.py": DEVICE})
    code, out, err = cli("check", "--exit-zero", "a.py")
    assert (code, err) == (0, "")
    assert out.startswith("a.py:2:23: TNP301 ") and out.endswith(f"Found 1 finding in 1 file.\n{HINT1}\n")


def test_exit_zero_does_not_hide_a_file_that_could_not_be_checked(tree, cli):
    tree({"a.py": DEVICE, "broken.py": 'import torch\nx = torch.zeros(3).to("cuda"\n'})
    code, out, _ = cli("check", "--exit-zero", "-j", "1")
    assert code == 1
    assert "broken.py:" in out and "syntax-error" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--bogus"], "unrecognized arguments: --bogus"),
        (["check", "--select", "TNP999"], "--select: unknown rule code or prefix 'TNP999'"),
        (["check", "--extend-select", "E501"], "--extend-select: unknown rule code or prefix 'E501'"),
        (["check", "--ignore", "TNP7"], "--ignore: unknown rule code or prefix 'TNP7'"),
        (["check", "--config", "missing.toml"], "missing.toml: cannot read the configuration file"),
        (["check", "--config", "."], ".: cannot read the configuration file"),
        (["check", "--config", "a.py", "--isolated"], "--config and --isolated cannot be used together"),
        (["check", "-", "a.py"], "'-' (standard input) cannot be combined with other paths"),
        (["check", "-j", "0"], "--jobs must be at least 1"),
        (["check", "--output-format", "xml"], "invalid choice: 'xml'"),
        (["rule", "TNP999"], "unknown rule 'TNP999'"),
        (["rule"], "the following arguments are required: CODE"),
        (["rules", "--output-format", "sarif"], "invalid choice: 'sarif'"),
        (["lint"], "invalid choice: 'lint'"),
    ],
    ids=" ".join,
)
def test_usage_error_exits_2_with_a_one_line_message(tree, cli, args, message):
    tree({"a.py": DEVICE})
    code, out, err = cli(*args)
    assert (code, out) == (2, "")
    first, *rest = err.splitlines()
    assert first.startswith("torchbridge: error: ") and message in first, err
    assert rest in ([], ["Run 'torchbridge --help' for usage."])


def test_no_command_prints_usage_and_exits_2(cli):
    code, out, err = cli()
    assert (code, out) == (2, "")
    assert err.startswith("usage: torchbridge") and "check" in err and "rules" in err


# --------------------------------------------------------------------------- standard input


def test_stdin_is_reported_under_stdin_filename(tree, cli, stdin):
    tree({"pkg/x.py": CALL})  # on disk, but standard input is what is checked
    stdin(DEVICE)
    code, out, err = cli("check", "-", "--stdin-filename", "pkg/x.py")
    assert (code, err) == (1, "")
    assert out.splitlines()[0].startswith("pkg/x.py:2:23: TNP301 ")
    assert out.splitlines()[1:] == ["Found 1 finding in 1 file.", HINT1]


def test_stdin_without_a_name_is_reported_as_dash(tree, cli, stdin):
    tree({})
    stdin(CALL)
    code, out, _ = cli("check", "--output-format", "json", "-")
    assert code == 1
    assert [(r["filename"], r["code"], r["line"], r["column"]) for r in json.loads(out)] == [("-", "TNP302", 2, 5)]


def test_stdin_honours_select(tree, cli, stdin):
    tree({})
    stdin(DEFAULT_ARG)
    assert cli("check", "-", "--stdin-filename", "x.py")[0] == 0
    stdin(DEFAULT_ARG)
    code, out, _ = cli("check", "--select", "TNP308", "-", "--stdin-filename", "x.py")
    assert code == 1 and out.startswith("x.py:4:36: TNP308 ")


# --------------------------------------------------------------------------- rule and rules


def test_rule_prints_its_documentation(cli):
    code, out, err = cli("rule", "TNP301")
    assert (code, err) == (0, "")
    assert out.startswith("# TNP301 hardcoded-cuda-device\n")
    assert "on by default" in out
    positions = [out.index(f"\n{heading}\n") for heading in DOC_HEADINGS]
    assert positions == sorted(positions)  # every section, in order
    assert "```python" in out


def test_rule_says_when_it_is_off_by_default(cli):
    code, out, _ = cli("rule", "TNP308")
    assert code == 0 and out.startswith("# TNP308 cuda-default-argument\n") and "off by default" in out


def test_rules_lists_every_rule_with_its_default(cli):
    code, out, err = cli("rules")
    assert (code, err) == (0, "")
    rows = [line.split()[:3] for line in out.splitlines()]
    assert rows == [[r.code, "on" if r.default_enabled else "off", r.name] for r in all_rules()]
    assert ["TNP301", "on", "hardcoded-cuda-device"] in rows and ["TNP308", "off", "cuda-default-argument"] in rows


def test_rules_json(cli):
    code, out, err = cli("rules", "--output-format", "json")
    assert (code, err) == (0, "")
    listed = {r["code"]: (r["name"], r["default_enabled"]) for r in json.loads(out)}
    assert listed == {r.code: (r.name, r.default_enabled) for r in all_rules()}
    assert listed["TNP301"] == ("hardcoded-cuda-device", True)
    assert listed["TNP308"] == ("cuda-default-argument", False)
    assert all(r["summary"] and r["category"] for r in json.loads(out))


# --------------------------------------------------------------------------- which files


@pytest.fixture
def repo(tree):
    """A git work tree with files a walk must find and files it must skip."""
    return tree({
        ".git/HEAD": "ref: refs/heads/main\n",
        ".git/hooks/hook.py": DEVICE,
        ".gitignore": "generated/\nsecret.py\n",
        "pkg/mod.py": DEVICE,
        "pkg/stub.pyi": DEVICE,
        "pkg/notes.txt": DEVICE,
        "pkg/script": DEVICE,
        "pkg/secret.py": DEVICE,  # ignored by the top .gitignore, two levels down
        "pkg/sub/.gitignore": "local.py\n",
        "pkg/sub/local.py": DEVICE,
        "pkg/sub/kept.py": DEVICE,
        "generated/gen.py": DEVICE,
        "myenv/pyvenv.cfg": "home = /usr/bin\n",  # a virtual environment under any name
        "myenv/lib/site.py": DEVICE,
        "node_modules/n.py": DEVICE,
        "__pycache__/c.py": DEVICE,
    })


def test_walk_finds_py_and_pyi_and_skips_the_rest(repo, cli):
    assert [name for name, _ in cli.found()] == ["pkg/mod.py", "pkg/stub.pyi", "pkg/sub/kept.py"]


def test_no_respect_gitignore(repo, cli):
    assert [name for name, _ in cli.found("--no-respect-gitignore")] == [
        "generated/gen.py", "pkg/mod.py", "pkg/secret.py", "pkg/stub.pyi", "pkg/sub/kept.py", "pkg/sub/local.py",
    ]


EXCLUDED = ["pkg/secret.py", "pkg/sub/local.py", "generated/gen.py", "myenv/lib/site.py", "node_modules/n.py", "__pycache__/c.py"]


@pytest.mark.parametrize("path", EXCLUDED)
def test_an_excluded_file_given_explicitly_is_checked(repo, cli, path):
    assert cli.found(path, "pkg/mod.py") == sorted([(path, "TNP301"), ("pkg/mod.py", "TNP301")])


@pytest.mark.parametrize("path", [*EXCLUDED, "generated", "myenv", "myenv/lib", "node_modules"])
def test_force_exclude_skips_an_excluded_path_given_explicitly(repo, cli, path):
    assert cli.found("--force-exclude", path, "pkg/mod.py") == [("pkg/mod.py", "TNP301")]


def test_an_excluded_folder_given_explicitly_is_walked(repo, cli):
    assert cli.found("myenv", "node_modules") == [("myenv/lib/site.py", "TNP301"), ("node_modules/n.py", "TNP301")]


def test_a_gitignored_folder_given_explicitly_is_walked(repo, cli):
    assert cli.found("generated") == [("generated/gen.py", "TNP301")]
