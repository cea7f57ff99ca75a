"""``[tool.torchbridge]`` in pyproject.toml: which file applies, what each key does, how the
command line overrides it, and that every mistake in it is a one-line error (exit 2) naming
the file and the key."""

from __future__ import annotations

import re

import pytest

# TNP308 at 4:36 (when selected), TNP301 at 5:23, TNP302 at 6:5.
ALL3 = (
    'import argparse\nimport torch\np = argparse.ArgumentParser()\np.add_argument("--device", default="cuda")\n'
    'x = torch.zeros(3).to("cuda")\ny = x.cuda()\n'
)
DEFAULT = ["TNP301", "TNP302"]


def pyproject(body: str) -> str:
    return f"[tool.torchbridge]\n{body}\n"


def by_file(found: list[tuple[str, str | None]]) -> dict[str, list[str | None]]:
    grouped: dict[str, list[str | None]] = {}
    for name, code in found:
        grouped.setdefault(name, []).append(code)
    return grouped


# --------------------------------------------------------------------------- which file applies


def test_nearest_pyproject_with_a_torchbridge_table_wins(tree, cli):
    tree({
        "pyproject.toml": pyproject('select = ["TNP308"]'),
        "top.py": ALL3,
        "one/pyproject.toml": pyproject('select = ["TNP301"]'),
        "one/a.py": ALL3,
        "one/deep/b.py": ALL3,  # no pyproject.toml here: one/'s applies
        "two/pyproject.toml": pyproject('select = ["TNP302"]'),
        "two/c.py": ALL3,
        "two/inner/pyproject.toml": '[project]\nname = "inner"\n',  # no [tool.torchbridge]: skipped
        "two/inner/d.py": ALL3,
    })
    assert by_file(cli.found()) == {
        "one/a.py": ["TNP301"],
        "one/deep/b.py": ["TNP301"],
        "top.py": ["TNP308"],
        "two/c.py": ["TNP302"],
        "two/inner/d.py": ["TNP302"],
    }


def test_configuration_is_found_from_a_subdirectory(tree, cli, monkeypatch):
    tmp = tree({"pyproject.toml": pyproject('select = ["TNP302"]'), "pkg/a.py": ALL3})
    monkeypatch.chdir(tmp / "pkg")
    assert cli.found() == [("a.py", "TNP302")]


@pytest.mark.parametrize(("name", "codes"), [("x.py", ["TNP302"]), ("../other/x.py", ["TNP301"]), ("tests/x.py", [])])
def test_stdin_filename_decides_the_configuration(tree, cli, stdin, monkeypatch, name, codes):
    """Standard input is checked as if it were the named file: that file's nearest
    configuration and per-file ignores apply."""
    tmp = tree({
        "pkg/pyproject.toml": pyproject('select = ["TNP302"]\nper-file-ignores = { "tests/*" = ["TNP302"] }'),
        "other/pyproject.toml": pyproject('select = ["TNP301"]'),
    })
    monkeypatch.chdir(tmp / "pkg")
    stdin(ALL3)
    assert cli.found("-", "--stdin-filename", name) == [(name, code) for code in codes]


# --------------------------------------------------------------------------- the keys


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        ("", DEFAULT),
        ('select = ["TNP"]', DEFAULT),
        ('select = ["TNP302"]', ["TNP302"]),
        ('select = ["tnp3"]', ["TNP308", "TNP301", "TNP302"]),
        ('extend-select = ["TNP308"]', ["TNP308", "TNP301", "TNP302"]),
        ('ignore = ["TNP301"]', ["TNP302"]),
        ('select = ["TNP3"]\nignore = ["TNP308"]', DEFAULT),
        ('select = []', []),
        ('torch-version = "2.4"\ndevice-idiom = "accelerator"', DEFAULT),
        ('torch-version = "2"\ndevice-idiom = "cuda"', DEFAULT),
    ],
    ids=lambda value: value.replace("\n", "; ") if isinstance(value, str) else None,
)
def test_selection_keys(tree, cli, body, codes):
    tree({"pyproject.toml": pyproject(body), "a.py": ALL3})
    assert [code for _, code in cli.found()] == codes


def test_per_file_ignores(tree, cli):
    """Globs are gitignore-style and relative to the configuration file, not the working
    directory; a per-file ignore removes a rule however specifically it was selected."""
    tree({
        "proj/pyproject.toml": pyproject(
            'select = ["TNP301", "TNP302"]\nextend-select = ["TNP308"]\n'
            'per-file-ignores = { "tests/*" = ["TNP3"], "legacy.py" = ["TNP302"], "/tools/*.py" = ["TNP30"] }'
        ),
        "proj/main.py": ALL3,
        "proj/tests/test_x.py": ALL3,
        "proj/legacy.py": ALL3,
        "proj/sub/legacy.py": ALL3,  # a pattern without a slash matches at any depth
        "proj/tools/t.py": ALL3,
        "proj/sub/tools/t.py": ALL3,  # a leading slash anchors to the configuration's folder
    })
    assert by_file(cli.found("proj")) == {
        "proj/legacy.py": ["TNP308", "TNP301"],
        "proj/main.py": ["TNP308", "TNP301", "TNP302"],
        "proj/sub/legacy.py": ["TNP308", "TNP301"],
        "proj/sub/tools/t.py": ["TNP308", "TNP301", "TNP302"],
    }


@pytest.mark.parametrize("key", ["exclude", "extend-exclude"])
def test_exclude_patterns_are_relative_to_the_configuration_file(tree, cli, key):
    tree({
        "proj/pyproject.toml": pyproject(f'{key} = ["generated/", "*_pb2.py", "/top.py"]'),
        "proj/main.py": ALL3,
        "proj/top.py": ALL3,
        "proj/sub/top.py": ALL3,
        "proj/api_pb2.py": ALL3,
        "proj/sub/x_pb2.py": ALL3,
        "proj/generated/g.py": ALL3,
        "proj/sub/generated/g.py": ALL3,
    })
    assert sorted(by_file(cli.found("proj"))) == ["proj/main.py", "proj/sub/top.py"]
    # Given explicitly, an excluded file is checked, unless --force-exclude.
    assert by_file(cli.found("proj/top.py", "proj/generated/g.py")) == {
        "proj/generated/g.py": DEFAULT, "proj/top.py": DEFAULT,
    }
    assert cli.found("--force-exclude", "proj/top.py", "proj/generated/g.py", "proj/sub/x_pb2.py") == []


def test_excludes_add_to_the_built_in_ones(tree, cli):
    tree({"pyproject.toml": pyproject('exclude = ["old/"]'), "a.py": ALL3, "old/b.py": ALL3, "build/c.py": ALL3})
    assert sorted(by_file(cli.found())) == ["a.py"]


@pytest.mark.parametrize(("body", "checked"), [
    ("", ["kept.py"]),
    ("respect-gitignore = true", ["kept.py"]),
    ("respect-gitignore = false", ["ignored.py", "kept.py", "out/o.py"]),
])
def test_respect_gitignore(tree, cli, body, checked):
    tree({
        ".git/HEAD": "ref: refs/heads/main\n",
        ".gitignore": "ignored.py\nout/\n",
        "pyproject.toml": pyproject(body),
        "ignored.py": ALL3,
        "kept.py": ALL3,
        "out/o.py": ALL3,
    })
    assert sorted(by_file(cli.found())) == checked


# --------------------------------------------------------------------------- --config, --isolated, overrides


@pytest.fixture
def two_projects(tree):
    return tree({
        "one/pyproject.toml": pyproject('select = ["TNP301"]'),
        "one/a.py": ALL3,
        "two/pyproject.toml": pyproject('select = ["TNP302"]\nexclude = ["skip.py"]'),
        "two/b.py": ALL3,
        "two/skip.py": ALL3,
        "ci.toml": 'select = ["TNP308"]\n',  # a bare table: the file is torchbridge's alone
        "ci/pyproject.toml": pyproject('extend-select = ["TNP308"]\nignore = ["TNP302"]'),
    })


def test_config_file_applies_to_every_file(two_projects, cli):
    assert cli.found("--config", "ci.toml") == [
        ("one/a.py", "TNP308"), ("two/b.py", "TNP308"), ("two/skip.py", "TNP308"),
    ]
    assert [code for _, code in cli.found("--config", "ci/pyproject.toml", "one")] == ["TNP308", "TNP301"]


def test_isolated_ignores_configuration_files(two_projects, cli):
    (two_projects / "pyproject.toml").write_text("[tool.torchbridge]\nbogus = 1\n")  # not even read
    assert by_file(cli.found("--isolated")) == {"one/a.py": DEFAULT, "two/b.py": DEFAULT, "two/skip.py": DEFAULT}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        (["--select", "TNP302"], {"one/a.py": ["TNP302"], "two/b.py": ["TNP302"]}),  # replaces select
        (["--extend-select", "TNP308"], {"one/a.py": ["TNP308", "TNP301"], "two/b.py": ["TNP308", "TNP302"]}),
        (["--ignore", "TNP301"], {"two/b.py": ["TNP302"]}),
        (["--select", "TNP3", "--ignore", "TNP308"], {"one/a.py": DEFAULT, "two/b.py": DEFAULT}),
    ],
    ids=" ".join,
)
def test_command_line_overrides_the_configuration(two_projects, cli, options, expected):
    assert by_file(cli.found(*options, "one", "two")) == expected


def test_command_line_ignore_adds_to_the_configured_ones(tree, cli):
    tree({"pyproject.toml": pyproject('extend-select = ["TNP308"]\nignore = ["TNP301"]'), "a.py": ALL3})
    assert [code for _, code in cli.found("--ignore", "TNP302")] == ["TNP308"]
    # --select replaces only the file's select: its extend-select and ignore still apply.
    assert [code for _, code in cli.found("--select", "TNP301")] == ["TNP308"]


def test_per_file_ignores_survive_a_command_line_select(tree, cli):
    tree({"pyproject.toml": pyproject('per-file-ignores = { "tests/*" = ["TNP3"] }'), "a.py": ALL3, "tests/t.py": ALL3})
    assert by_file(cli.found("--select", "TNP301", "--extend-select", "TNP308")) == {"a.py": ["TNP308", "TNP301"]}


def test_no_respect_gitignore_overrides_the_configuration(tree, cli):
    tree({".git/HEAD": "", ".gitignore": "ignored.py\n", "pyproject.toml": pyproject("respect-gitignore = true"),
          "ignored.py": ALL3})
    assert cli.found() == []
    assert [name for name, _ in cli.found("--no-respect-gitignore")] == ["ignored.py", "ignored.py"]


def test_readme_example_configuration_is_valid(tree, cli, root):
    example = re.search(r"```toml\n(.*?)```", (root / "README.md").read_text(encoding="utf-8"), re.S)
    assert example and "[tool.torchbridge]" in example[1]
    tree({"pyproject.toml": example[1], "a.py": ALL3, "tests/t.py": ALL3})
    assert by_file(cli.found()) == {"a.py": ["TNP308", "TNP301", "TNP302"]}


# --------------------------------------------------------------------------- mistakes


MISTAKES = [
    ("bogus = 1", "'bogus'", "unknown key"),
    ("extend_select = []", "'extend_select'", "unknown key"),  # the spelling is kebab-case
    ('select = "TNP301"', "select", "expected a list of strings, got str 'TNP301'"),
    ("select = [301]", "select", "expected a list of strings, got int 301"),
    ('select = ["TNP999"]', "select", "unknown rule code or prefix 'TNP999'"),
    ('extend-select = ["E501"]', "extend-select", "unknown rule code or prefix 'E501'"),
    ('ignore = ["TNP3X"]', "ignore", "unknown rule code or prefix 'TNP3X'"),
    ('per-file-ignores = ["tests/*"]', "per-file-ignores", "expected a table of glob = [codes]"),
    ('per-file-ignores = { "tests/*" = "TNP301" }', "per-file-ignores.'tests/*'", "expected a list of strings"),
    ('per-file-ignores = { "tests/*" = ["TNPX"] }', "per-file-ignores.'tests/*'", "unknown rule code or prefix 'TNPX'"),
    ('exclude = "build"', "exclude", "expected a list of strings, got str 'build'"),
    ("extend-exclude = [1]", "extend-exclude", "expected a list of strings, got int 1"),
    ('respect-gitignore = "yes"', "respect-gitignore", "expected true or false, got str 'yes'"),
    ('torch-version = "banana"', "torch-version", "'banana'"),
    ('torch-version = "2.4.1.post1"', "torch-version", "'2.4.1.post1'"),
    ("torch-version = 2.4", "torch-version", "got float 2.4"),
    ('device-idiom = "gpu"', "device-idiom", "expected one of 'cuda', 'accelerator', got 'gpu'"),
    ("device-idiom = true", "device-idiom", "got True"),
]


@pytest.mark.parametrize(("body", "key", "detail"), MISTAKES, ids=[body for body, _, _ in MISTAKES])
def test_configuration_mistake_names_the_file_and_the_key(tree, cli, body, key, detail):
    config = tree({"a.py": ALL3, "sub/b.py": ALL3, "sub/pyproject.toml": pyproject(body)}) / "sub" / "pyproject.toml"
    code, out, err = cli("check")
    assert (code, out) == (2, ""), "nothing is reported when a configuration is wrong"
    assert err.count("\n") == 1
    assert err.startswith(f"torchbridge: error: {config}: ")
    assert f"] {key}:" in err or f"unknown key {key}" in err
    assert detail in err


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        (b"[tool.torchbridge\nselect = []\n", "(at line 1, column 18)"),
        (b'[tool.torchbridge]\nselect = ["TNP301"\n', "not valid TOML"),
        (b"[tool.torchbridge]\nselect = []\nselect = []\n", "not valid TOML"),
        (b'[tool.torchbridge]\n# caf\xe9\nselect = ["TNP301"]\n', "not valid TOML"),  # Latin-1: TOML is UTF-8
        (b"[tool]\ntorchbridge = 3\n", "[tool.torchbridge] must be a table"),
    ],
    ids=["table-header", "unclosed-array", "duplicate-key", "not-utf-8", "not-a-table"],
)
def test_malformed_configuration_file(tree, cli, text, detail):
    tmp = tree({"a.py": ALL3})
    (tmp / "pyproject.toml").write_bytes(text)
    code, out, err = cli("check")
    assert (code, out) == (2, "")
    assert err.startswith(f"torchbridge: error: {tmp / 'pyproject.toml'}: ") and err.count("\n") == 1
    assert detail in err


def test_mistake_in_a_config_file_names_that_file(two_projects, cli):
    (two_projects / "ci.toml").write_text('select = "TNP308"\n')
    code, out, err = cli("check", "--config", "ci.toml")
    assert (code, out) == (2, "")
    assert err == "torchbridge: error: ci.toml: [tool.torchbridge] select: expected a list of strings, got str 'TNP308'\n"


# --------------------------------------------------------------------------- Ruff-style keys

FLIP = "import numpy as np\nimport torch\nrgb = np.zeros((2, 2, 3))[:, :, ::-1]\nt = torch.from_numpy(rgb)\n"


def test_extend_inherits_a_configuration_file(tree, cli):
    """Ruff's ``extend``: the shared file's keys, under the project's own; extend-select and
    extend-exclude add up, per-file-ignores merge by pattern."""
    tree({
        "shared/base.toml": 'extend-select = ["TNP308"]\nignore = ["TNP302"]\nper-file-ignores = {"tests/*" = ["TNP301"]}\n',
        "project/pyproject.toml": pyproject('extend = "../shared/base.toml"\nextend-select = ["TNP203"]'),
        "project/a.py": ALL3,
        "project/tests/t.py": ALL3,
    })
    assert by_file(cli.found("project")) == {
        "project/a.py": ["TNP308", "TNP301"],
        "project/tests/t.py": ["TNP308"],
    }


def test_extend_keys_of_the_project_replace_the_inherited_ones(tree, cli):
    tree({
        "base.toml": 'ignore = ["TNP302"]\n',
        "pyproject.toml": pyproject('extend = "base.toml"\nignore = ["TNP301"]'),
        "a.py": ALL3,
    })
    assert cli.found("a.py") == [("a.py", "TNP302")]


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"pyproject.toml": pyproject('extend = "gone.toml"')}, "extend: no such file 'gone.toml'"),
        ({"pyproject.toml": pyproject("extend = 3")}, "extend: expected a path"),
        ({"pyproject.toml": pyproject('extend = "b.toml"'), "b.toml": 'extend = "pyproject.toml"\n'}, "extends itself"),
        ({"pyproject.toml": pyproject('extend = "b.toml"'), "b.toml": 'select = ["TNP0"]\n'}, "b.toml: [tool.torchbridge] select"),
    ],
    ids=["missing", "not-a-path", "cycle", "error-in-the-extended-file"],
)
def test_extend_mistakes_are_one_line_errors(tree, cli, files, message):
    tree({**files, "a.py": ALL3})
    code, out, err = cli("check", "a.py")
    assert code == 2 and out == "" and message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    ("body", "fixed"),
    [
        ("", True),
        ('unfixable = ["TNP102"]', False),
        ('unfixable = ["TNP1"]', False),
        ('fixable = ["TNP3"]', False),
        ('fixable = ["TNP102"]', True),
        ('unfixable = ["TNP1"]\nfixable = ["TNP102"]', True),  # the more specific wins
    ],
)
def test_fixable_and_unfixable(tree, cli, body, fixed):
    root = tree({"pyproject.toml": pyproject(body), "a.py": FLIP})
    code, out, _ = cli("check", "--output-format", "json", "a.py")
    (record,) = __import__("json").loads(out)
    assert (record["fix"] is not None) is fixed
    cli("fix", "a.py")
    assert ("rgb.copy()" in (root / "a.py").read_text()) is fixed
