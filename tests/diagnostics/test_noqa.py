"""``# noqa`` handling is flake8's, with flake8 itself as the oracle.

Every variant below is written to a file; flake8 (with torchbridge's plugin, which reports
findings without applying ``# noqa``) runs once over all of them, and its verdict after
``# noqa`` is compared with ``torchbridge.check_source`` on the same source. No expected
answer is written down here: flake8 decides. A second flake8 run with ``--disable-noqa``
proves that every variant has a finding for its comment to suppress, and the table is
checked to hold both suppressed and unsuppressed cases, so the comparison cannot pass
vacuously.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from torchbridge import check_source
from torchbridge.engine.lint import lint_source
from torchbridge.project.selection import Selection

# flake8 and torchbridge run the same rules: the default ones and the off-by-default TNP308.
FLAKE8_SELECT = "TNP,TNP308"
TORCHBRIDGE_SELECT = ["TNP", "TNP308"]

HEADER = "import torch\n"
CUDA_CALL = "x = torch.zeros(1).cuda()"  # TNP302 on this line


def _call(comment: str) -> str:
    return f"{HEADER}{CUDA_CALL}  {comment}\n"


# (id, source). Each source has at least one finding when ``# noqa`` is ignored.
INLINE_VARIANTS: list[tuple[str, str]] = [
    # the marker itself
    ("no-comment", f"{HEADER}{CUDA_CALL}\n"),
    ("blanket", _call("# noqa")),
    ("no-space", _call("#noqa")),
    ("two-spaces-after-hash", _call("#  noqa")),
    ("upper", _call("# NOQA")),
    ("mixed-case", _call("# NoQa")),
    ("noqa-then-word", _call("# noqank")),
    ("noqa-dash", _call("# noqa-ish")),
    ("bare-colon", _call("# noqa:")),
    ("not-first-comment", _call("# legacy code # noqa")),
    ("other-comment-only", _call("# TODO: fix this")),
    # one code
    ("code-no-space", _call("# noqa:TNP302")),
    ("code-space", _call("# noqa: TNP302")),
    ("code-two-spaces", _call("# noqa:  TNP302")),
    ("space-before-colon", _call("# noqa : TNP302")),
    ("upper-noqa-code", _call("# NOQA:TNP302")),
    ("lowercase-code", _call("# noqa: tnp302")),
    ("mixed-case-code", _call("# noqa: Tnp302")),
    ("prefix-TNP3", _call("# noqa: TNP3")),
    ("prefix-TNP30", _call("# noqa: TNP30")),
    ("prefix-TNP", _call("# noqa: TNP")),
    ("longer-code", _call("# noqa: TNP3021")),
    ("sibling-code", _call("# noqa: TNP301")),
    ("other-code", _call("# noqa: E501")),
    ("colon-then-comma", _call("# noqa:,TNP302")),
    # several codes
    ("codes-comma", _call("# noqa: E501,TNP302")),
    ("codes-comma-space", _call("# noqa: E501, TNP302")),
    ("codes-space", _call("# noqa: E501 TNP302")),
    ("codes-double-comma", _call("# noqa: E501,,TNP302")),
    ("codes-trailing-comma", _call("# noqa:TNP302,")),
    ("codes-three", _call("# noqa:E501,W291,TNP3")),
    ("codes-other-only", _call("# noqa: E501,W291")),
    ("codes-mixed-case", _call("# noqa: E501,tnp302")),
    ("codes-dash-separator", _call("# noqa: E501 - TNP302")),
    ("codes-semicolon", _call("# noqa: E501;TNP302")),
    # trailing text
    ("code-then-reason", _call("# noqa: TNP302 legacy device code")),
    ("code-then-dash-reason", _call("# noqa: TNP302 -- see issue 12")),
    ("other-code-then-reason", _call("# noqa: E501 because TNP302")),
    ("reason-in-parens", _call("# noqa: E501 (TNP302 is fine here)")),
    # the marker in a string literal on the line
    ("string-blanket", f'{HEADER}{CUDA_CALL}; s = "# noqa"\n'),
    ("string-code", f'{HEADER}s = "# noqa: TNP302"; {CUDA_CALL}\n'),
    ("string-other-code", f"{HEADER}s = '# noqa: E501'; {CUDA_CALL}\n"),
    ("fstring", f'{HEADER}n = 1; s = f"{{n}} # noqa"; {CUDA_CALL}\n'),
    # the marker on another line
    ("line-before", f"{HEADER}# noqa\n{CUDA_CALL}\n"),
    ("line-after", f"{HEADER}{CUDA_CALL}\n# noqa\n"),
    ("next-statement", f"{HEADER}{CUDA_CALL}\ny = 1  # noqa\n"),
    ("previous-statement", f"{HEADER}y = 1  # noqa: TNP302\n{CUDA_CALL}\n"),
    # a call spanning three lines; the finding (the .cuda() call) starts on the first.
    # (Inside brackets tokenize ends each physical line with NL, so flake8 searches only the
    # finding's own line there; strings and backslash continuations are what join lines.)
    ("multiline-call-noqa-first", f"{HEADER}x = torch.zeros(  # noqa: TNP302\n    1,\n).cuda()\n"),
    ("multiline-call-noqa-middle", f"{HEADER}x = torch.zeros(\n    1,  # noqa: TNP302\n).cuda()\n"),
    ("multiline-call-noqa-last", f"{HEADER}x = torch.zeros(\n    1,\n).cuda()  # noqa: TNP302\n"),
    # the finding on the middle line of a three-line statement
    ("finding-middle-noqa-first", f"{HEADER}y = max(  # noqa\n    torch.zeros(1).cuda(),\n)\n"),
    ("finding-middle-noqa-middle", f"{HEADER}y = max(\n    torch.zeros(1).cuda(),  # noqa\n)\n"),
    ("finding-middle-noqa-last", f"{HEADER}y = max(\n    torch.zeros(1).cuda(),\n)  # noqa\n"),
    ("finding-middle-noqa-comment-line", f"{HEADER}y = max(\n    # noqa\n    torch.zeros(1).cuda(),\n)\n"),
    # TNP301 on the last line of a call, the marker on the first
    ("device-last-noqa-first", f'{HEADER}t = torch.zeros(1)\ny = t.to(  # noqa: TNP301\n    "cuda",\n)\n'),
    ("device-last-noqa-last", f'{HEADER}t = torch.zeros(1)\ny = t.to(\n    "cuda",\n)  # noqa: TNP301\n'),
    # triple-quoted strings on the same logical line
    ("triple-string-after-noqa-end", f'{HEADER}{CUDA_CALL}; doc = """\ntext\n"""  # noqa\n'),
    ("triple-string-after-noqa-inside", f'{HEADER}{CUDA_CALL}; doc = """\n# noqa\n"""\n'),
    ("triple-string-before-noqa-start", f'{HEADER}doc = """  # noqa: TNP302\ntext\n"""; {CUDA_CALL}\n'),
    ("triple-string-before-other-code", f'{HEADER}doc = """  # noqa: E501\ntext\n"""; {CUDA_CALL}\n'),
    ("triple-string-colon-then-code-on-the-next-line", f'{HEADER}{CUDA_CALL}; doc = """# noqa:\nTNP302 is fine\n"""\n'),
    ("triple-string-separate-statement", f'{HEADER}doc = """\n# noqa\n"""\n{CUDA_CALL}\n'),
    (
        "device-in-triple-string-call",
        f'{HEADER}t = torch.zeros(1)\ny = t.to("cuda", memory_format=None); d = """\n"""  # noqa: TNP301\n',
    ),
    # backslash continuations
    ("backslash-noqa-last", f"{HEADER}x = torch.zeros(1).cuda() + \\\n    torch.ones(1)  # noqa: TNP302\n"),
    ("backslash-noqa-other-code", f"{HEADER}x = torch.zeros(1).cuda() + \\\n    torch.ones(1)  # noqa: E501\n"),
    ("backslash-finding-second", f"{HEADER}x = \\\n    torch.zeros(1).cuda()  # noqa\n"),
    ("backslash-after-a-dedent", f"{HEADER}def f():\n    pass\nx = torch.zeros(1).cuda() + \\\n    torch.ones(1)  # noqa: TNP302\n"),
    ("finding-on-the-first-line", f"{HEADER[:-1]}; {CUDA_CALL}  # noqa\ny = 1\n"),
    ("backslash-three-lines", f"{HEADER}x = 1 + \\\n    2 + \\\n    torch.zeros(1).sum().cuda()\ny = 2  # noqa\n"),
    # compound statements and indentation
    ("in-function", f"{HEADER}def f():\n    return torch.zeros(1).cuda()  # noqa: TNP3\n"),
    ("in-function-noqa-on-def", f"{HEADER}def f():  # noqa\n    return torch.zeros(1).cuda()\n"),
    ("in-class", f"{HEADER}class M:\n    w = torch.zeros(1).cuda()  # NOQA:TNP302\n"),
    # two findings on one line, one code suppressed
    ("two-findings-one-code", f'{HEADER}a = torch.zeros(1).cuda(); b = torch.zeros(1).to("cuda")  # noqa: TNP301\n'),
    (
        "two-findings-both-codes",
        f'{HEADER}a = torch.zeros(1).cuda(); b = torch.zeros(1).to("cuda")  # noqa: TNP301,TNP302\n',
    ),
    ("two-findings-blanket", f'{HEADER}a = torch.zeros(1).cuda(); b = torch.zeros(1).to("cuda")  # noqa\n'),
    # the off-by-default TNP308
    ("tnp308-code", f'{HEADER}def f(device="cuda"):  # noqa: TNP308\n    return device\n'),
    ("tnp308-prefix", f'{HEADER}def f(device="cuda"):  # noqa: TNP30\n    return device\n'),
    ("tnp308-other-code", f'{HEADER}def f(device="cuda"):  # noqa: TNP302\n    return device\n'),
    ("tnp308-multiline-def", f'{HEADER}def f(\n    device="cuda",\n):  # noqa: TNP308\n    return device\n'),
    # a non-ASCII line; CRLF and lone-CR line ends
    ("non-ascii", f'{HEADER}s = "é€"; {CUDA_CALL}  # noqa: TNP302\n'),
    ("crlf", f"{HEADER}{CUDA_CALL}  # noqa: TNP302\ny = 1\n".replace("\n", "\r\n")),
    ("crlf-other-code", f"{HEADER}{CUDA_CALL}  # noqa: E501\ny = 1\n".replace("\n", "\r\n")),
    ("lone-cr", f"{HEADER}{CUDA_CALL}  # noqa: TNP302\ny = 1\n".replace("\n", "\r")),
    ("lone-cr-noqa-before", f"{HEADER}# noqa\n{CUDA_CALL}\n".replace("\n", "\r")),
    # characters that str.splitlines() treats as line ends but Python and flake8 do not
    ("form-feed-line", f"{HEADER}\f\n{CUDA_CALL}  # noqa: TNP302\n"),
    ("form-feed-line-noqa-before", f"{HEADER}\f\n# noqa\n{CUDA_CALL}\n"),
    ("line-separator-in-string", f'{HEADER}s = "a\u2028b"\n{CUDA_CALL}  # noqa\n'),
    ("vertical-tab-in-comment", f"{HEADER}# a\vb\n{CUDA_CALL}  # noqa\n"),
]

# File-level exemptions: on a line of their own they skip the file; with code they do not.
FILE_VARIANTS: list[tuple[str, str]] = [
    ("flake8-own-line", f"# flake8: noqa\n{HEADER}{CUDA_CALL}\n"),
    ("flake8-own-line-last", f"{HEADER}{CUDA_CALL}\n# flake8: noqa\n"),
    ("flake8-indented", f"{HEADER}if True:\n    # flake8: noqa\n    {CUDA_CALL}\n"),
    ("flake8-no-space", f"# flake8:noqa\n{HEADER}{CUDA_CALL}\n"),
    ("flake8-equals", f"# flake8=noqa\n{HEADER}{CUDA_CALL}\n"),
    ("flake8-upper", f"# FLAKE8: NOQA\n{HEADER}{CUDA_CALL}\n"),
    ("flake8-with-codes", f"# flake8: noqa: E501\n{HEADER}{CUDA_CALL}\n"),
    ("flake8-no-space-after-hash", f"#flake8: noqa\n{HEADER}{CUDA_CALL}\n"),
    ("flake8-on-code-line", f"{HEADER}{CUDA_CALL}  # flake8: noqa\n"),
    ("flake8-on-other-code-line", f"import torch  # flake8: noqa\n{CUDA_CALL}\n"),
    ("flake8-in-string", f'{HEADER}s = """\n# flake8: noqa\n"""\n{CUDA_CALL}\n'),
    ("torchbridge-own-line", f"# torchbridge: noqa\n{HEADER}{CUDA_CALL}\n"),
    ("torchbridge-on-code-line", f"{HEADER}{CUDA_CALL}  # torchbridge: noqa\n"),
]

ALL_VARIANTS = dict([*INLINE_VARIANTS, *FILE_VARIANTS])

_FLAKE8_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+[0-9]+) ")

Verdict = set[tuple[int, str]]  # the (line, code) pairs reported for one file


def _file_name(variant_id: str) -> str:
    return variant_id.replace("-", "_") + ".py"


def _start_flake8(directory: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        # -j 1: the two runs go side by side, and worker processes would only add start-up time
        [sys.executable, "-m", "flake8", "--isolated", "-j", "1", "--select", FLAKE8_SELECT, *extra, str(directory)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
    )


def _flake8_verdicts(process: subprocess.Popen[str]) -> dict[str, Verdict]:
    """Map each variant id to what flake8 reported for it."""
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode in (0, 1), stderr
    by_file = {_file_name(variant_id): variant_id for variant_id in ALL_VARIANTS}
    found: dict[str, Verdict] = {variant_id: set() for variant_id in ALL_VARIANTS}
    for line in stdout.splitlines():
        match = _FLAKE8_LINE.match(line)
        assert match is not None, f"unexpected flake8 output: {line!r}"
        found[by_file[Path(match["path"]).name]].add((int(match["line"]), match["code"]))
    return found


@pytest.fixture(scope="module")
def oracle(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Verdict]]:
    """flake8's verdict for every variant: "noqa" as flake8 reports it, "raw" with
    ``--disable-noqa`` (what there is to suppress)."""
    directory = tmp_path_factory.mktemp("noqa_variants")
    for variant_id, source in ALL_VARIANTS.items():
        (directory / _file_name(variant_id)).write_bytes(source.encode("utf-8"))
    # Both runs at once: each is mostly interpreter start-up and parsing.
    with_noqa, without_noqa = _start_flake8(directory), _start_flake8(directory, "--disable-noqa")
    return {"noqa": _flake8_verdicts(with_noqa), "raw": _flake8_verdicts(without_noqa)}


def _torchbridge(source: str) -> Verdict:
    findings = check_source(source, select=TORCHBRIDGE_SELECT)
    assert all(f.code is not None for f in findings), findings
    return {(f.line, f.code) for f in findings}


def _torchbridge_without_noqa(source: str) -> Verdict:
    rules = Selection(select=TORCHBRIDGE_SELECT).rules()
    return {(f.line, f.code) for f in lint_source(source, "<string>", rules, apply_noqa=False)}


def _params(variants: list[tuple[str, str]]):
    return [pytest.param(variant_id, source, id=variant_id) for variant_id, source in variants]


def test_the_variants_are_distinct():
    assert len(ALL_VARIANTS) == len(INLINE_VARIANTS) + len(FILE_VARIANTS)
    assert len(set(ALL_VARIANTS.values())) == len(ALL_VARIANTS)
    assert len(INLINE_VARIANTS) >= 30


@pytest.mark.parametrize(("variant_id", "source"), _params(INLINE_VARIANTS))
def test_inline_noqa_matches_flake8(oracle, variant_id, source):
    raw = oracle["raw"][variant_id]
    assert raw, "the variant must have a finding for its comment to act on"
    # Without # noqa both front ends report the same findings...
    assert _torchbridge_without_noqa(source) == raw
    # ...and with it torchbridge keeps exactly what flake8 keeps.
    assert _torchbridge(source) == oracle["noqa"][variant_id]


@pytest.mark.parametrize(("variant_id", "source"), _params(FILE_VARIANTS))
def test_file_level_noqa_matches_flake8(oracle, variant_id, source):
    assert _torchbridge(source) == oracle["noqa"][variant_id]


def _outcomes(oracle: dict[str, dict[str, Verdict]], variants: list[tuple[str, str]]) -> dict[str, int]:
    counts = {"suppressed": 0, "partly": 0, "kept": 0}
    for variant_id, _ in variants:
        raw, after = oracle["raw"][variant_id], oracle["noqa"][variant_id]
        counts["suppressed" if not after else "kept" if after == raw else "partly"] += 1
    return counts


def test_the_table_has_suppressed_and_unsuppressed_cases(oracle):
    """Guards against a vacuous pass: flake8 suppresses some variants wholly, some partly
    and others not at all, inline and file-level alike."""
    inline = _outcomes(oracle, INLINE_VARIANTS)
    assert inline["suppressed"] >= 10 and inline["kept"] >= 10 and inline["partly"] >= 1, inline
    file_level = _outcomes(oracle, FILE_VARIANTS)
    assert file_level["suppressed"] >= 3 and file_level["kept"] >= 3, file_level


def test_flake8_file_exemption_needs_a_line_of_its_own(oracle):
    """The README's promise, checked against flake8 itself: on its own line
    ``# flake8: noqa`` skips the file; on a line with code it does not."""
    assert oracle["noqa"]["flake8-own-line"] == set()
    assert oracle["noqa"]["flake8-on-code-line"] != set()
    assert check_source(ALL_VARIANTS["flake8-own-line"]) == []
    assert check_source(ALL_VARIANTS["flake8-on-code-line"]) != []


def test_torchbridge_file_exemption():
    """``# torchbridge: noqa`` has no flake8 equivalent: on its own line it skips the file (in
    every front end, the flake8 plugin included); on a line with code it changes nothing."""
    plain = f"{HEADER}{CUDA_CALL}\n"
    assert _torchbridge(plain) == {(2, "TNP302")}
    assert _torchbridge(f"# torchbridge: noqa\n{plain}") == set()
    assert _torchbridge(f"{plain}    # Torchbridge:NOQA\n") == set()
    assert _torchbridge(f"{HEADER}{CUDA_CALL}  # torchbridge: noqa\n") == {(2, "TNP302")}
    assert _torchbridge(f"#torchbridge: noqa\n{plain}") == {(3, "TNP302")}


def test_a_file_that_does_not_tokenize_reads_each_line_for_itself():
    """Without token runs (an unclosed bracket), a ``# noqa`` covers its own line only."""
    from torchbridge.diagnostics.noqa import Suppressions

    lines = ["x = torch.zeros(1).cuda()  # noqa\n", "y = (\n", "z = 1  # noqa: TNP302\n"]
    suppressions = Suppressions(lines)
    assert [suppressions.suppressed("TNP302", line) for line in (1, 2, 3)] == [True, False, True]
    assert not suppressions.suppressed("TNP301", 3)
    assert not suppressions.suppressed("TNP302", 0) and not suppressions.suppressed("TNP302", 4)


def test_a_text_without_noqa_is_not_tokenized(monkeypatch):
    """No ``# noqa`` anywhere (in any case): no line can be suppressed, and no token is read."""
    from torchbridge.diagnostics import noqa

    def tokenized(lines):
        raise AssertionError("tokenized a text that holds no # noqa")

    monkeypatch.setattr(noqa, "noqa_line_mapping", tokenized)
    suppressions = noqa.Suppressions(["x = torch.zeros(1) \\\n", "    .cuda()  # no qa, #noqa\n"])
    assert not suppressions.suppressed("TNP302", 1) and not suppressions.suppressed("TNP302", 2)


@pytest.mark.parametrize("marker", ["# noqa", "# NOQA", "# NoQa: TNP302"])
def test_a_noqa_in_any_case_still_covers_its_whole_token_run(marker):
    """The shortcut matches ``# noqa`` as flake8 does, ignoring case: a comment on the last
    line of a backslash-continued statement still covers its first line."""
    from torchbridge.diagnostics.noqa import Suppressions

    suppressions = Suppressions(["x = torch.zeros(1) \\\n", f"    .cuda()  {marker}\n", "y = 1\n"])
    assert [suppressions.suppressed("TNP302", line) for line in (1, 2, 3)] == [True, True, False]


def test_token_runs_given_as_not_tokenizing_are_not_asked_of_the_whole_text_again(monkeypatch):
    """The server's statement-by-statement runs answer None for a text that does not
    tokenize: that is the answer, so the whole text is not tokenized a second time, and
    each line is read for itself (as when the whole text fails to tokenize)."""
    from torchbridge.diagnostics import noqa

    def tokenized(lines):
        raise AssertionError("tokenized the whole text after its runs said it does not tokenize")

    monkeypatch.setattr(noqa, "token_runs", tokenized)
    lines = ["x = torch.zeros(1) \\\n", "    .cuda()  # noqa\n", "y = (\n"]
    suppressions = noqa.Suppressions(lines, lambda: None)
    assert [suppressions.suppressed("TNP302", line) for line in (1, 2, 3)] == [False, True, False]
