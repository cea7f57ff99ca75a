"""Every output format survives every file name: bytes that are not UTF-8, newlines, tabs,
colons and commas, spaces, a leading dash, characters outside the BMP. Each format keeps
every finding and stays valid for its readers (SARIF against the official schema); the
JSON formats and SARIF keep the name's exact bytes; the text formats print it on one line,
also on a terminal whose encoding is not UTF-8. The fix, diff, statistics, add-noqa, cache
and parallel paths take such names too."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from test_output_formats import assert_valid_sarif

from torchbridge.cli import main
from torchbridge.diagnostics.filenames import decodable, for_diff, for_text, for_uri
from torchbridge.output import FORMATS
from torchbridge.output.json_text import dumps

CALL = "import torch\nx = torch.zeros(1).cuda()\n"  # TNP302 at 2:5, one unsafe fix
FIXED = 'import torch\n\nDEVICE = torch.device("cuda" if torch.cuda.is_available() else "cpu")\nx = torch.zeros(1, device=DEVICE)\n'
NAMES = [
    b"bad_\xff.py",  # not valid UTF-8
    b"new\nline.py",
    b"ta\tb.py",
    b"co:lon,comma.py",
    b"sp ace.py",
    b"-dash.py",
    "\U0001d518nicode.py".encode(),  # outside the BMP: a surrogate pair in UTF-16
]
SHOWN = {  # as the text formats print them
    b"bad_\xff.py": "bad_\\xff.py",
    b"new\nline.py": "new\\nline.py",
    b"ta\tb.py": "ta\\tb.py",
    b"co:lon,comma.py": "co:lon,comma.py",
    b"sp ace.py": "sp ace.py",
    b"-dash.py": "-dash.py",
    "\U0001d518nicode.py".encode(): "\U0001d518nicode.py",
}


@pytest.fixture
def odd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding one file per odd name, each with one finding."""
    if sys.platform != "linux":
        pytest.skip("file names that are not UTF-8 are a POSIX file system's")
    monkeypatch.chdir(tmp_path)
    for name in NAMES:
        (tmp_path / os.fsdecode(name)).write_text(CALL, encoding="utf-8")
    return tmp_path


def check(cli, output_format: str, *args: str) -> tuple[int, str, str]:
    return cli("check", "--isolated", "--no-cache", "-j", "1", "--output-format", output_format, *args, ".")


def json_names(records: list[dict], key: str = "filename") -> list[bytes]:
    return sorted(os.fsencode(record[key]) for record in records)


def test_the_formats_tested_here_are_all_the_formats():
    assert set(FORMATS) == {"full", "text", "concise", "grouped", "json", "json-lines", "sarif", "github", "gitlab"}


@pytest.mark.parametrize("output_format", ["text", "concise"])
def test_line_formats_print_one_line_per_finding_with_the_name_escaped(odd, cli, output_format):
    code, out, err = check(cli, output_format)
    assert (code, err) == (1, "")
    lines = [line for line in out.splitlines() if ": TNP302 " in line]
    assert sorted(lines) == sorted(f"{SHOWN[name]}:2:5: TNP302 {lines[0].split(' TNP302 ')[1]}" for name in NAMES)
    assert "\udcff" not in out and "\t" not in out


def test_full_shows_every_finding_with_its_source_line(odd, cli):
    code, out, err = check(cli, "full")
    assert (code, err) == (1, "")
    for name in NAMES:
        assert f"{SHOWN[name]}:2:5: TNP302 " in out
    assert out.count("2 | x = torch.zeros(1).cuda()") == len(NAMES)  # the file was read back for it
    assert "Found 7 findings in 7 files." in out


def test_grouped_heads_each_file_with_its_escaped_name(odd, cli):
    code, out, err = check(cli, "grouped")
    assert (code, err) == (1, "")
    heads = [line for line in out.splitlines() if line.endswith(":") and not line.startswith(" ")]
    assert sorted(heads) == sorted(f"{SHOWN[name]}:" for name in NAMES)


@pytest.mark.parametrize("output_format", ["json", "json-lines"])
def test_json_formats_keep_the_exact_bytes_of_every_name(odd, cli, output_format):
    code, out, err = check(cli, output_format)
    assert (code, err) == (1, "")
    out.encode("utf-8")  # no lone surrogate reached the stream
    records = json.loads(out) if output_format == "json" else [json.loads(line) for line in out.splitlines()]
    assert [r["code"] for r in records] == ["TNP302"] * len(NAMES)
    assert json_names(records) == sorted(os.listdir(b"."))
    assert '"bad_\\udcff.py"' in out  # the documented spelling of an undecodable byte


def test_sarif_is_valid_and_its_uris_percent_encode_the_name_bytes(odd, cli):
    code, out, err = check(cli, "sarif")
    assert (code, err) == (1, "")
    document = json.loads(out)
    assert_valid_sarif(document)
    results = document["runs"][0]["results"]
    assert len(results) == len(NAMES)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results]
    assert sorted(unquote_to_bytes(uri) for uri in uris) == sorted(NAMES)
    assert "bad_%FF.py" in uris and "new%0Aline.py" in uris and "co%3Alon%2Ccomma.py" in uris
    assert all(uri.isascii() and " " not in uri for uri in uris)
    prints = {r["partialFingerprints"]["torchbridge/v1"] for r in results}
    assert len(prints) == len(NAMES)  # the names tell the identical files apart


def test_sarif_fix_locations_percent_encode_too(odd, cli):
    _, out, _ = check(cli, "sarif", "--unsafe-fixes")
    for result in json.loads(out)["runs"][0]["results"]:
        (change,) = result["fixes"][0]["artifactChanges"]
        assert change["artifactLocation"] == result["locations"][0]["physicalLocation"]["artifactLocation"]


def test_github_commands_stay_one_line_each_and_name_every_file(odd, cli):
    code, out, err = check(cli, "github")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert len(lines) == len(NAMES) and all(line.startswith("::warning title=TNP302,file=") for line in lines)
    files = sorted(line.split("file=", 1)[1].split(",line=", 1)[0] for line in lines)
    unescaped = sorted(f.replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%") for f in files)
    assert unescaped == sorted(decodable(os.fsdecode(name)) for name in NAMES)


def test_gitlab_report_is_json_with_every_path_and_distinct_fingerprints(odd, cli):
    code, out, err = check(cli, "gitlab")
    assert (code, err) == (1, "")
    issues = json.loads(out)
    assert json_names([issue["location"] for issue in issues], "path") == sorted(NAMES)
    assert len({issue["fingerprint"] for issue in issues}) == len(NAMES)


@pytest.mark.parametrize("output_format", sorted(FORMATS))
def test_every_format_on_a_terminal_that_is_not_utf8(odd, monkeypatch, output_format):
    """An ASCII terminal: the text formats escape what it cannot show, the JSON formats
    escape to ASCII and stay exact; nothing crashes and nothing is lost."""
    screen = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict")
    monkeypatch.setattr(sys, "stdout", screen)
    code = main(["check", "--isolated", "--no-cache", "-j", "1", "--output-format", output_format, "."])
    screen.flush()
    out = screen.buffer.getvalue().decode("ascii")  # nothing but ASCII went out
    assert code == 1
    assert screen.errors == "strict"  # the run left the stream as it found it
    if output_format in ("json", "gitlab", "sarif"):
        document = json.loads(out)
        if output_format == "json":
            assert json_names(document) == sorted(NAMES)
        elif output_format == "gitlab":
            assert json_names([issue["location"] for issue in document], "path") == sorted(NAMES)
        else:
            assert_valid_sarif(document)
            assert len(document["runs"][0]["results"]) == len(NAMES)
    elif output_format == "json-lines":
        assert json_names([json.loads(line) for line in out.splitlines()]) == sorted(NAMES)
    else:
        assert "bad_\\xff.py" in out and "\\U0001d518nicode.py" in out


def test_statistics_count_every_file(odd, cli):
    code, out, _ = cli("check", "--isolated", "--no-cache", "-j", "1", "--statistics", "--output-format", "json", ".")
    assert code == 1 and json.loads(out)[0]["count"] == len(NAMES)


def test_two_jobs_and_the_cache_give_the_serial_output(odd, cli):
    serial = check(cli, "json")
    assert cli("check", "--isolated", "--no-cache", "-j", "2", "--output-format", "json", ".") == serial
    cold = cli("check", "--isolated", "-j", "2", "--output-format", "json", ".")
    warm = cli("check", "--isolated", "-j", "1", "--output-format", "json", ".")
    assert cold == serial and warm == serial
    assert any(odd.joinpath(".torchbridge_cache").rglob("*.json"))  # the warm run had entries to read


def test_fix_writes_every_file_and_shows_the_names(odd, cli):
    code, out, err = cli("fix", "--isolated", "--no-cache", "--unsafe-fixes", "-j", "2", "--show-fixes", "--output-format", "text", ".")
    assert code == 0, err
    for name in NAMES:
        assert Path(os.fsdecode(name)).read_text(encoding="utf-8") == FIXED
        assert f"- {SHOWN[name]}:" in out


def test_add_noqa_edits_every_file(odd, cli):
    code, _, err = cli("check", "--isolated", "--no-cache", "-j", "2", "--add-noqa", ".")
    assert code == 0 and "Added 7 noqa directives to 7 files." in err
    assert check(cli, "concise") == (0, "", "")


def test_diff_headers_quote_names_as_git_does_and_patch_applies_them(odd, cli, tmp_path_factory):
    code, out, _ = cli("fix", "--isolated", "--no-cache", "--unsafe-fixes", "-j", "1", "--diff", ".")
    assert code == 1
    headers = [line for line in out.split("\n") if line.startswith("--- ")]
    assert sorted(headers) == sorted(
        [
            '--- "a/bad_\\377.py"', '--- "a/new\\nline.py"', '--- "a/ta\\tb.py"', "--- a/co:lon,comma.py",
            "--- a/sp ace.py\t", "--- a/-dash.py", "--- a/\U0001d518nicode.py",
        ]
    )
    assert all(Path(os.fsdecode(name)).read_text(encoding="utf-8") == CALL for name in NAMES)  # nothing written
    if shutil.which("patch") is None:
        pytest.skip("GNU patch is not installed")
    copy = tmp_path_factory.mktemp("patched")
    for name in NAMES:
        (copy / os.fsdecode(name)).write_text(CALL, encoding="utf-8")
    subprocess.run(["patch", "-s", "-p1"], cwd=copy, input=os.fsencode(out), check=True, timeout=60)
    assert all((copy / os.fsdecode(name)).read_text(encoding="utf-8") == FIXED for name in NAMES)


# --------------------------------------------------------------------------- the spellings


def test_for_text_escapes_undecodable_bytes_and_control_characters():
    assert for_text(os.fsdecode(b"a_\xff\xfe.py")) == "a_\\xff\\xfe.py"
    assert for_text("a\x1b[2Jb\x7f\x85.py") == "a\\x1b[2Jb\\x7f\\x85.py"  # never an escape sequence
    assert for_text("r\r\n\t.py") == "r\\r\\n\\t.py"
    assert for_text("é \U0001d518:,-.py") == "é \U0001d518:,-.py"  # text stays as it is


def test_for_diff_quotes_only_what_git_quotes():
    assert for_diff("a/plain é.py") == "a/plain é.py"
    assert for_diff('a/q"b\\c.py') == '"a/q\\"b\\\\c.py"'
    assert for_diff(os.fsdecode(b"a/\xff\x01.py")) == '"a/\\377\\001.py"'


def test_for_uri_percent_encodes_bytes_outside_the_unreserved_set():
    assert for_uri("dir/a b.py") == "dir/a%20b.py"
    assert for_uri(os.fsdecode(b"x\xff%.py")) == "x%FF%25.py"
    assert for_uri("\U0001d518.py") == "%F0%9D%94%98.py"  # UTF-8 bytes, not UTF-16 units
    assert for_uri("-a~b_c.py") == "-a~b_c.py"


def test_json_text_round_trips_lone_surrogates_on_any_stream():
    name = os.fsdecode(b"bad_\xff" + "\U0001d518".encode() + b".py")
    utf8 = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    latin = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    for stream in (utf8, latin, io.StringIO()):
        text = dumps({"filename": name}, stream)
        text.encode("ascii" if stream is latin else "utf-8")  # writable to that stream, as it is
        assert json.loads(text) == {"filename": name}
    assert dumps(["é"], utf8) == '["é"]' and dumps(["é"], latin) == '["\\u00e9"]'
