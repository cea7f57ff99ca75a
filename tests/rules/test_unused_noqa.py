"""TNP901 unused-noqa: which ``# noqa`` codes it judges, and its fix."""

from __future__ import annotations

import pytest

from torchbridge import check_source, fix_source

TNP901 = ["TNP901"]


def unused(source: str, select: list[str]) -> list[tuple[int, int, str]]:
    return [(f.line, f.column, f.message) for f in check_source(source, select=select) if f.code == "TNP901"]


def test_a_code_that_suppresses_a_finding_is_used():
    assert unused("import torch\nx = y.cuda()  # noqa: TNP302\n", ["TNP302", "TNP901"]) == []


def test_a_code_of_an_enabled_rule_with_nothing_to_suppress_is_unused():
    source = "import torch\nx = torch.zeros(3)  # noqa: TNP302\n"
    assert unused(source, ["TNP302", "TNP901"]) == [(2, 21, "Unused `noqa` code: TNP302")]
    # Not judged where TNP302 is off: the comment may be needed where it is on.
    assert unused(source, TNP901) == []


def test_a_prefix_is_judged_only_when_every_rule_it_covers_is_enabled():
    source = "import torch\nx = torch.zeros(3)  # noqa: TNP30\n"
    assert unused(source, ["TNP301", "TNP302", "TNP901"]) == []  # TNP303... are off
    assert unused(source, ["TNP3", "TNP901"]) == [(2, 21, "Unused `noqa` code: TNP30")]
    assert unused("import torch\nx = y.cuda()  # noqa: TNP3\n", ["TNP3", "TNP901"]) == []


def test_unknown_codes_are_named():
    assert unused("x = 1  # noqa: TNP3001, TNP21\n", TNP901) == [
        (1, 8, "Unused `noqa` codes: TNP3001, TNP21 (TNP3001, TNP21 are not a torchbridge rule)"),
    ]


def test_only_the_directive_flake8_reads_is_judged():
    # A multi-line string and a backslash continuation are one run: the directive on the last
    # line covers a finding on the first.
    source = 'import torch\nx = y.cuda() + """\n"""  # noqa: TNP302\nz = y.cuda() + \\\n    1  # noqa: TNP302\n'
    assert unused(source, ["TNP302", "TNP901"]) == []
    # Inside brackets each line is its own: the directive on line 3 suppresses nothing there.
    source = "import torch\nx = f(y.cuda(),\n      1)  # noqa: TNP302\n"
    assert unused(source, ["TNP302", "TNP901"]) == [(3, 11, "Unused `noqa` code: TNP302")]


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("x = 1  # noqa: TNP302", "x = 1"),
        ("x = 1  # noqa: TNP302, E501", "x = 1  # noqa: E501"),
        ("x = 1  # noqa:E501,TNP302", "x = 1  # noqa:E501"),
        ("x = 1  # noqa: TNP302 the reason", "x = 1  # the reason"),
        ("x = 1  # type: ignore  # noqa: TNP302", "x = 1  # type: ignore"),
        ("x = y.cuda()  # noqa: TNP302, TNP301", "x = y.cuda()  # noqa: TNP302"),
        ("    # noqa: TNP302", ""),
    ],
)
def test_the_fix_removes_only_what_is_unused(line, fixed):
    source = f"import torch\n{line}\nz = 2\n"
    result = fix_source(source, select=["TNP301", "TNP302", "TNP901"])
    assert result.source == f"import torch\n{fixed}\nz = 2\n"
    assert [f.code for f in result.applied] == ["TNP901"]
    assert [f.code for f in result.remaining] == []


def test_not_reported_where_the_comment_silences_it():
    assert unused("x = 1  # noqa: TNP302, TNP901\n", ["TNP302", "TNP901"]) == []
    assert unused("x = 1  # noqa: TNP9\n", ["TNP302", "TNP901"]) == []
    assert unused("x = 1  # noqa\n", ["TNP302", "TNP901"]) == []


def test_cli_fix_removes_an_unused_code(tree, cli):
    root = tree({"a.py": "import torch\nx = torch.zeros(3)  # noqa: TNP302\n"})
    code, out, err = cli("check", "--extend-select", "TNP901", "-j", "1", ".")
    assert code == 1 and "a.py:2:21: TNP901 [*] Unused `noqa` code: TNP302" in out
    assert cli("fix", "--extend-select", "TNP901", "-j", "1", ".")[0] == 0
    assert (root / "a.py").read_text() == "import torch\nx = torch.zeros(3)\n"


def test_a_file_without_other_active_rules_is_not_parsed(monkeypatch):
    """Only the comments are read: no syntax tree for TNP901 alone."""
    import libcst

    def refuse(*args, **kwargs):
        raise AssertionError("parsed")

    monkeypatch.setattr(libcst, "parse_module", refuse)
    assert unused("x = 1  # noqa: TNP3001\n", TNP901) == [
        (1, 8, "Unused `noqa` code: TNP3001 (TNP3001 is not a torchbridge rule)"),
    ]
