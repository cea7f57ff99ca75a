"""Property: programs built from the patterns in varied surroundings (aliases, nesting,
classes, decorators, comments, odd whitespace) are fixed, every result compiles, and a
second run changes nothing. A fixer that refused everything would fail: each pattern must
be fixed at least once."""

from __future__ import annotations

import pytest

pytest.importorskip("hypothesis", reason="the property tests need hypothesis (in the test extra)")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from torchbridge import fix_source

# One pattern per rule, as statements of a function body; {t} is torch's alias, {np}
# numpy's, {v} a local name.
PATTERNS = {
    "TNP101": ["{v} = {np}.stack([{np}.ones(2), {np}.zeros(2)])", "return {t}.tensor({v})"],
    "TNP102": ["{v} = {np}.zeros((2, 3))", "return {t}.from_numpy({v}[:, ::-1])"],
    "TNP103": ["{v} = {t}.from_numpy({np}.zeros((2, 3)).T)", "return {v}.view(-1)"],
    "TNP201": ["{v} = {t}.nn.Linear(2, 2)", "return {v}({t}.ones(1, 2)).numpy()"],
    "TNP301": ["{v} = {t}.ones(2)", 'return {v}.to("cuda")'],
    "TNP302": ["{v} = {t}.zeros(2)", "return {v}.cuda()"],
}
NAMES = st.sampled_from(["x", "arr", "value", "data_1", "tmp"])


@st.composite
def statement_lines(draw, code, torch, numpy):
    name = draw(NAMES)
    lines = []
    for template in PATTERNS[code]:
        line = template.format(t=torch, np=numpy, v=name)
        if draw(st.booleans()):  # odd whitespace inside brackets
            line = line.replace("(", "( ").replace(")", " )")
        if draw(st.booleans()):
            line += "  # a comment that must survive"
        lines.append(line)
    return lines


@st.composite
def programs(draw):
    torch = draw(st.sampled_from(["torch", "th", "pt"]))
    numpy = draw(st.sampled_from(["np", "numpy", "onp"]))
    header = []
    if draw(st.booleans()):
        header.append('"""A module docstring."""')
    if draw(st.booleans()):
        header.append("from __future__ import annotations")
    header.append("import numpy" if numpy == "numpy" else f"import numpy as {numpy}")
    header.append("import torch" if torch == "torch" else f"import torch as {torch}")
    header += ["", "", "def identity(function):", "    return function", ""]
    codes = draw(st.lists(st.sampled_from(sorted(PATTERNS)), min_size=1, max_size=4))
    body: list[str] = []
    for index, code in enumerate(codes):
        lines = draw(statement_lines(code, torch, numpy))
        shape = draw(st.sampled_from(["function", "decorated", "nested", "method"]))
        body.append("")
        if shape == "method":
            body += [f"class Holder{index}:", "    @staticmethod", f"    def case_{index}():"]
            body += ["        " + line for line in lines]
        elif shape == "nested":
            body += [f"def outer_{index}():", "    def inner():"]
            body += ["        " + line for line in lines]
            body.append("    return inner")
        else:
            if shape == "decorated":
                body.append("@identity")
            body.append(f"def case_{index}():")
            body += ["    " + line for line in lines]
    return "\n".join(header + body) + "\n", codes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_generated_programs_are_fixed_and_stay_fixed(program):
    source, codes = program
    compile(source, "<generated>", "exec")
    result = fix_source(source, unsafe=True, select=["TNP"])
    assert not [f for f in result.remaining if f.code is None], result.remaining  # no refusal, no diagnostic
    fixed_codes = {f.code for f in result.applied}
    assert fixed_codes >= set(codes), (source, fixed_codes)
    compile(result.source, "<fixed>", "exec")
    # The comments and the surroundings are still there.
    assert result.source.count("# a comment that must survive") == source.count("# a comment that must survive")
    assert result.source.count("def ") == source.count("def ")
    again = fix_source(result.source, unsafe=True, select=["TNP"])
    assert again.source == result.source and not again.applied
