"""The prefilter: a rule runs only on files whose code holds one of its needles; needles
inside string literals and comments do not count, except for a rule that reads strings."""

from __future__ import annotations

import pytest
from conftest import FIXTURES, ROOT

from torchbridge import check_source
from torchbridge.engine import lint
from torchbridge.engine.prefilter import active_rules, code_only
from torchbridge.rules import all_rules

RULES = all_rules()
ALL_CODES = [rule.code for rule in RULES]


def active(source: str) -> set[str]:
    return {rule.code for rule in active_rules(source, RULES)}


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("x = 'a' + b  # c\n", "x =   + b   \n"),
        ('x = "#not a comment"  # it\'s one\n', "x =     \n"),
        ("x = '''a\n'b'\n''' + y\n", "x =   + y\n"),
        ('x = """a "b" ""c"""\n', "x =  \n"),
        ("x = 'a\\'b' + c\n", "x =   + c\n"),
        ("x = rb'\\\\' + c\n", "x = rb  + c\n"),  # the prefix stays; it is two letters of code
        ("x = 'a\\\r\nb' + c\r\n", "x =   + c\r\n"),  # a continued line inside a string, CRLF
        ('x = f"{a.to(d)}" + b\n', 'x = f"{a.to(d)}" + b\n'),  # an f-string's fields are code
        ("x = rf'{a!r:>{w}}' 'b'\n", "x = rf'{a!r:>{w}}'  \n"),
        ('x = f\'{d["k"]}\' + "s"\n', "x = f'{d[\"k\"]}' +  \n"),
        ('x = f"{{literal}}" + "s"\n', 'x = f"{{literal}}" +  \n'),
    ],
)
def test_code_only_blanks_strings_and_comments(code, expected):
    assert code_only(code) == expected


@pytest.mark.parametrize(
    "code",
    [
        'x = f"{d["k"]}"  # "\ny = a.to(d)\n',  # Python 3.12 reuses the quote inside a field
        "x = f'{v:'>10}' # '\ny = a.to(d)\n",  # a quote in a format spec
    ],
)
def test_an_f_string_read_with_doubt_keeps_the_whole_text(code):
    assert code_only(code) == code


def test_a_needle_inside_data_lets_no_rule_match():
    """``flip`` in a WordNet synset name and ``amp.`` in ``'lamp.n.02'`` are data; a
    docstring's example is prose."""
    assert active("import numpy as np\nSYNSETS = ['flip-flop.n.02', 'lamp.n.02']\n") == set()
    assert active('def f(x):\n    """Call ``x.to(device)`` first."""  # or amp.autocast\n') == set()
    assert "TNP102" in active("import numpy as np\ny = np.flip(x)\n")
    assert "TNP304" in active("from torch.cuda import amp\nwith amp.autocast():\n    pass\n")


def test_a_rule_that_reads_strings_still_sees_its_needle_there():
    assert "TNP301" in active("import torch\nd = torch.device('cuda:0')\n")
    assert "TNP301" in active("import torch\n# cuda\n")  # comments too: the plain substring test


def _sources() -> list[tuple[str, str]]:
    """Every example, fixture and posted snippet with the code that reads them."""
    found = [(f"{rule.code}-example-{i}", example.code)
             for rule in RULES for i, example in enumerate((*rule.VALID, *rule.INVALID))]
    for path in sorted(FIXTURES.rglob("*.py")) + sorted((ROOT / "benchmarks" / "recall" / "posts").glob("*.py")):
        found.append((str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")))
    return found


def test_the_prefilter_never_hides_a_finding(monkeypatch):
    """Each example, fixture and posted crash snippet gives the same findings, every rule
    on, with the prefilter and with every rule let through it."""
    sources = _sources()
    assert len(sources) > 300
    with_prefilter = [check_source(code, filename=name, select=ALL_CODES) for name, code in sources]
    monkeypatch.setattr(lint, "active_rules", lambda text, rules: list(rules))
    for (name, code), kept in zip(sources, with_prefilter):
        assert check_source(code, filename=name, select=ALL_CODES) == kept, name
    assert sum(len(kept) for kept in with_prefilter) > 300
