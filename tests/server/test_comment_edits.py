"""An edit of comments only takes over the last check's findings, and only where a full check
of the new text reports exactly them (``server.comment_edits``)."""

from __future__ import annotations

import re
from pathlib import Path

from torchbridge.engine.lint import lint_source
from torchbridge.server.analysis import Analysis, analyze, file_unit
from torchbridge.server.settings import Configuration

SRC = Path(__file__).resolve().parent.parent.parent / "src" / "torchbridge"
TEXT = (
    "import numpy as np\nimport torch\n\n"
    "# a comment between statements\n"
    "def use(x):\n"
    "    y = torch.ones(3, requires_grad=True)  # trailing\n"
    "    # inside the body\n"
    "    return y.numpy()\n\n"
    "# before the class\n"
    "class Net(torch.nn.Module):\n"
    "    def run(self, a):\n"
    "        return torch.tensor(np.zeros(3)).to(\n"
    "            'cuda'  # inside brackets\n"
    "        )\n"
    "z = torch.zeros(3).cuda()  # about z\n"
)


def check(text: str, last: Analysis | None = None) -> Analysis:
    settings = Configuration([]).for_path(None)
    return analyze(file_unit("file:///t.py", "t.py", None, text), settings, (1, 0), last.parsed if last else None, last)


def full(analysis: Analysis) -> list[tuple[object, ...]]:
    found = lint_source(analysis.unit.text, "t.py", analysis.settings.rules_for(None), options=analysis.settings.rule_options)
    return [(f.line, f.column, f.end_line, f.end_column, f.code, f.message, f.fix) for f in found]


def shown(analysis: Analysis) -> list[tuple[object, ...]]:
    return [(f.line, f.column, f.end_line, f.end_column, f.code, f.message, f.fix) for f in (p.finding for p in analysis.placed)]


def test_comment_edits_outside_brackets_reuse_the_findings_a_full_check_reports() -> None:
    analysis = check(TEXT)
    assert analysis.placed
    for old, new in [
        ("# a comment between statements", "# a comment between statements, a new word: qwertyuiop"),
        # Words the text holds elsewhere: the searches of the whole text find what they found.
        ("# a comment between statements", "# a comment between statements x"),
        ("# trailing", "# trailing   y"),
        ("# inside the body", "# inside the body, the body"),
        ("# about z", "# about z z"),
        ("# before the class", "# before the class Net, a"),
        # Lines added or removed after the line the TNP201 message names: the rest moves.
        ("# before the class", "# before\n# the class"),
        ("    # inside the body\n", ""),
        ("# trailing\n", "# trailing\n    # x\n"),
        ("\n\n# before the class", "\n# before the class"),
    ]:
        edited = check(TEXT.replace(old, new), analysis)
        assert edited.reused, new
        assert shown(edited) == full(edited)


def test_edits_that_may_change_findings_are_checked_in_full() -> None:
    analysis = check(TEXT)
    for old, new in [
        ("# inside brackets", "# inside bracketsx"),  # an expression's code holds it
        ("# about z", "# noqa: TNP302"),  # a directive
        ("# trailing", "# collate_fn = use"),  # a search of the whole text sees it (TNP305)
        ("# inside the body", "# DEVICE"),  # the name a fix inserts is taken now
        ("# inside the body", "# y_on_device"),  # and the name a hoisting fix would take
        ("# a comment between statements", "# a comment\n# between statements"),  # "line 6" would be 7
        ("    # inside the body\n", "    # inside the body\n    pass\n"),  # code
    ]:
        edited = check(TEXT.replace(old, new), analysis)
        assert not edited.reused, new
        assert shown(edited) == full(edited)


def test_a_changed_project_file_is_no_longer_the_one_the_findings_were_made_with(tmp_path: Path) -> None:
    (tmp_path / "helpers.py").write_text("import torch\n\ndef make():\n    return torch.ones(3, requires_grad=True)\n")
    main = tmp_path / "main.py"
    text = "import torch\nfrom helpers import make\n\n# note\ndef use():\n    return make().numpy()\n"
    settings = Configuration([]).for_path(main)
    analysis = analyze(file_unit(main.as_uri(), str(main), main, text), settings, (1, 0))
    (tmp_path / "helpers.py").write_text("import torch\n\ndef make():\n    return torch.ones(3)\n")
    edited_text = text.replace("# note", "# notes")
    edited = analyze(file_unit(main.as_uri(), str(main), main, edited_text), settings, (1, 0), analysis.parsed, analysis)
    assert not edited.reused
    assert [p.finding for p in edited.placed] == lint_source(edited_text, str(main), settings.rules_for(main), options=settings.rule_options)


def test_every_search_of_the_whole_text_is_compared() -> None:
    """A rule that searches the text (comments included) must have its search repeated by
    ``comment_edits.readings``. These are the lines that search it today: a new one, or a
    changed one, fails here until ``readings`` is looked at again."""
    searching = {
        (str(path.relative_to(SRC)), line.strip())
        for path in [*SRC.glob("rules/**/*.py"), *SRC.glob("model/**/*.py")] for line in path.read_text().splitlines()
        if re.search(r"context\.text|context\.words|\.declared_names|[^_]used_as_string\(|module\.code\b", line)
        and not line.strip().startswith(("def ", '"""'))
    }
    assert searching == {
        ("rules/device/tnp305_cuda_in_dataset.py",
         "self._passed = set(_PASSED_AS.findall(context.text))  # functions handed to a DataLoader"),
        ("rules/device/fix.py", "if INSERTED_NAME in context.words:"),
        ("rules/device/fix.py", "if model.lookup(name) is not binding or name in context.declared_names:"),
        ("rules/device/tnp301_hardcoded_cuda_device.py",
         "as_string = used_as_string(self.model.module, name.value, self.context.text)"),
        ("rules/transfers/tnp403_sync_in_training_loop.py",
         "self._cpu_script = script and _DEVICE_WORDS.search(self.context.text) is None"),
        ("rules/transfers/tnp402_loop_invariant_transfer.py", "if name in self.context.words:"),
        ("model/cuda_guards.py", "return guards.AMP_OVERRIDE not in module.code"),
    }
    hoisted = (SRC / "rules/transfers/tnp402_loop_invariant_transfer.py").read_text()
    assert 'name = f"{stem}{HOISTED_SUFFIX}"' in hoisted  # the only name it asks the words for
