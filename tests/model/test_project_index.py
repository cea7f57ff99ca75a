"""Facts from the project's other modules: which file an import names, what the module
must show for its function to be summarised, and where the index stops (unknown)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import torchbridge
from torchbridge.engine.lint import decode_for_index, default_index, lint_source, parse_for_index, project_imports
from torchbridge.model import project_index
from torchbridge.model.project_index import (
    MAX_CHAIN,
    ProjectIndex,
    _DiskFiles,
    _may_define,
    _may_know,
    digest_of,
    search_roots,
)
from torchbridge.model.semantic import SemanticModel
from torchbridge.project.selection import Selection

LOADER = '''\
import numpy as np
import torch


def load(p):
    return np.load(p)


def predict(x):
    return torch.nn.Linear(3, 3)(x)
'''


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _found(path: Path) -> set[tuple[int, str]]:
    return {(f.line, f.code or "") for f in torchbridge.check_source(path.read_text(), filename=str(path))}


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    _write(tmp_path, {"pkg/__init__.py": "", "pkg/io.py": LOADER})
    return tmp_path


@pytest.mark.parametrize("imports, call", [
    ("from .io import load", "load(p)"),
    ("from . import io", "io.load(p)"),
    ("from pkg.io import load", "load(p)"),
    ("import pkg.io as io", "io.load(p)"),
    ("import pkg.io", "pkg.io.load(p)"),
    ("from pkg import io", "io.load(p)"),
    ("from .io import load as read", "read(p)"),
])
def test_an_imported_helper_is_summarised_as_a_local_one(project: Path, imports: str, call: str) -> None:
    main = project / "pkg" / "main.py"
    main.write_text(f"import torch\n{imports}\n\n\ndef f(p):\n    return torch.tensor({call})\n", encoding="utf-8")
    assert _found(main) == {(6, "TNP101")}


def test_an_import_inside_the_function_counts_and_a_module_level_rebinding_stops_it(project: Path) -> None:
    main = project / "pkg" / "main.py"
    main.write_text("import torch\n\n\ndef f(p):\n    from .io import load\n    return torch.tensor(load(p))\n",
                    encoding="utf-8")
    assert _found(main) == {(6, "TNP101")}
    main.write_text("import torch\nfrom .io import load\n\n\ndef f(p):\n    return torch.tensor(load(p))\n\n\n"
                    "load = list\n", encoding="utf-8")
    assert _found(main) == set()  # f runs after the module rebound ``load``


def test_the_grad_mode_of_the_call_reaches_the_imported_helper(project: Path) -> None:
    main = project / "pkg" / "main.py"
    main.write_text(
        "import torch\nfrom .io import predict\n\nx = torch.ones(1, 3)\na = predict(x).numpy()\n"
        "with torch.no_grad():\n    b = predict(x).numpy()\n",
        encoding="utf-8",
    )
    assert _found(main) == {(5, "TNP201")}


def test_a_reexport_through_the_package_init_is_followed(project: Path) -> None:
    _write(project, {"pkg/__init__.py": "from .io import load\n", "app.py": "import torch\nfrom pkg import load\n\n"
                     "t = torch.tensor(load('a.npy'))\n"})
    assert _found(project / "app.py") == {(4, "TNP101")}


def test_a_src_layout_resolves_from_the_project_root(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("", encoding="utf-8")
    _write(tmp_path, {"src/pkg/__init__.py": "", "src/pkg/io.py": LOADER,
                      "scripts/run.py": "import torch\nfrom pkg.io import load\n\nt = torch.tensor(load('a.npy'))\n"})
    assert _found(tmp_path / "scripts" / "run.py") == {(4, "TNP101")}


def test_a_namespace_package_is_found(tmp_path: Path) -> None:
    _write(tmp_path, {"ns/io.py": LOADER, "run.py": "import torch\nfrom ns.io import load\n\nt = torch.tensor(load('a.npy'))\n"})
    assert _found(tmp_path / "run.py") == {(4, "TNP101")}


UNKNOWN_CASES = {
    "bound twice": {"pkg/io.py": LOADER + "\nload = lambda p: [p]\n"},
    "defined conditionally": {"pkg/io.py": "import numpy as np\nimport sys\nif sys.argv:\n    def load(p):\n"
                              "        return np.load(p)\n"},
    "imported over": {"pkg/io.py": LOADER + "\ntry:\n    from fast import load\nexcept ImportError:\n    pass\n"},
    "star import": {"pkg/io.py": LOADER + "\nfrom fast import *\n"},
    "declared global": {"pkg/io.py": LOADER + "\ndef patch():\n    global load\n    load = list\n"},
    "decorated": {"pkg/io.py": "import numpy as np\nimport functools\n\n\n@functools.lru_cache\ndef load(p):\n"
                  "    return np.load(p)\n"},
    "a class": {"pkg/io.py": "import numpy as np\n\n\nclass load:\n    pass\n"},
    "module and package both present": {"pkg/io/__init__.py": LOADER},
    "a syntax error": {"pkg/io.py": LOADER + "\ndef broken(:\n"},
    "a re-export bound twice": {"pkg/io.py": "from .real import load\nload = list\n", "pkg/real.py": LOADER},
}


@pytest.mark.parametrize("case", sorted(UNKNOWN_CASES))
def test_where_the_index_stops_the_value_is_unknown(project: Path, case: str) -> None:
    _write(project, UNKNOWN_CASES[case])
    main = project / "pkg" / "main.py"
    main.write_text("import torch\nfrom .io import load\n\nt = torch.tensor(load('a.npy'))\n", encoding="utf-8")
    assert _found(main) == set()


def test_two_roots_that_hold_different_modules_make_the_import_unknown(project: Path) -> None:
    # ``import io2`` from pkg/main.py: the script's folder and the project root both hold an io2.
    _write(project, {"io2.py": LOADER, "pkg/io2.py": LOADER})
    main = project / "pkg" / "main.py"
    main.write_text("import torch\nfrom io2 import load\n\nt = torch.tensor(load('a.npy'))\n", encoding="utf-8")
    assert _found(main) == set()
    (project / "pkg" / "io2.py").unlink()
    assert _found(main) == {(4, "TNP101")}


def test_a_cycle_of_modules_is_unknown_and_ends(project: Path) -> None:
    _write(project, {
        "pkg/a.py": "from .b import g\n\n\ndef f(p):\n    return g(p)\n",
        "pkg/b.py": "from .a import f\n\n\ndef g(p):\n    return f(p)\n",
    })
    main = project / "pkg" / "main.py"
    main.write_text("import torch\nfrom .a import f\n\nt = torch.tensor(f('a.npy'))\n", encoding="utf-8")
    assert _found(main) == set()


def test_a_chain_of_modules_is_followed_up_to_its_bound(project: Path) -> None:
    files = {"pkg/m0.py": "import numpy as np\n\n\ndef f(p):\n    return np.load(p)\n"}
    for level in range(1, MAX_CHAIN + 1):
        files[f"pkg/m{level}.py"] = f"from .m{level - 1} import f as g\n\n\ndef f(p):\n    return g(p)\n"
    _write(project, files)
    main = project / "pkg" / "main.py"
    for level, expected in ((MAX_CHAIN - 1, {(4, "TNP101")}), (MAX_CHAIN, set())):
        main.write_text(f"import torch\nfrom .m{level} import f\n\nt = torch.tensor(f('a.npy'))\n", encoding="utf-8")
        assert _found(main) == expected


def test_the_files_consulted_are_recorded_with_their_hashes(project: Path) -> None:
    main = project / "pkg" / "main.py"
    text = "import torch\nfrom .io import load\nfrom .gone import other\n\nt = torch.tensor(load('a.npy'))\n" \
           "u = torch.tensor(other('b.npy'))\n"
    main.write_text(text, encoding="utf-8")
    imports = project_imports(str(main))
    assert imports is not None
    from torchbridge.engine.lint import lint_source
    from torchbridge.project.selection import Selection

    dependencies: dict[str, str | None] = {}
    lint_source(text, str(main), Selection().rules(), dependencies=dependencies)
    assert dependencies[str(project / "pkg" / "io.py")] is not None
    assert dependencies[str(project / "pkg" / "gone.py")] is None  # looked for: its creation matters


def test_names_that_are_no_path_have_no_project() -> None:
    assert project_imports("-") is None
    assert project_imports("stdin") is None
    assert project_imports("<string>") is None
    assert project_imports("/no/such/folder/x.py") is None


def test_search_roots_are_the_package_parent_the_folder_and_the_project(project: Path) -> None:
    (project / "src").mkdir()
    roots = search_roots(project / "pkg" / "main.py")
    assert roots == [project, project / "pkg", project / "src"]


def test_a_module_is_outlined_once_per_content_and_only_the_function_is_parsed(project: Path) -> None:
    index = default_index()
    main = project / "pkg" / "main.py"
    main.write_text("import torch\nfrom .io import load\n\nt = torch.tensor(load('a.npy'))\n", encoding="utf-8")
    _found(main)
    path = project / "pkg" / "io.py"
    data = path.read_bytes()
    digest = digest_of(data) or ""
    outline = index.outline(path, data, digest)
    assert outline is not None and outline is index.outline(path, data, digest)
    assert set(outline.functions) == {"load", "predict"}
    module = index.function_module(path, digest, outline, "load")
    assert module is not None and module is index.function_module(path, digest, outline, "load")
    assert "def predict" not in module.code and "import numpy as np" in module.code


def test_a_function_is_parsed_with_the_helpers_it_calls(project: Path) -> None:
    _write(project, {"pkg/io.py": "import numpy as np\n\n\ndef _read(p):\n    return np.load(p)\n\n\n"
                     "def unrelated():\n    return 1\n\n\ndef load(p):\n    return _read(p)\n"})
    main = project / "pkg" / "main.py"
    main.write_text("import torch\nfrom .io import load\n\nt = torch.tensor(load('a.npy'))\n", encoding="utf-8")
    assert _found(main) == {(4, "TNP101")}


def test_the_reverse_edges_name_the_files_whose_last_check_consulted_a_module(project: Path) -> None:
    _write(project, {"pkg/mid.py": "from .io import load as inner\n\n\ndef load(p):\n    return inner(p)\n"})
    main, other = project / "pkg" / "main.py", project / "pkg" / "other.py"
    main.write_text("import torch\nfrom .mid import load\n\nt = torch.tensor(load('a.npy'))\n", encoding="utf-8")
    other.write_text("import torch\nt = torch.tensor([1])\n", encoding="utf-8")
    assert _found(main) == {(4, "TNP101")}
    _found(other)
    index = default_index()
    assert main in index.importers_of(project / "pkg" / "io.py")  # through mid.py
    assert other not in index.importers_of(project / "pkg" / "io.py")
    main.write_text("import torch\nt = torch.tensor([1])\n", encoding="utf-8")
    _found(main)
    assert main not in index.importers_of(project / "pkg" / "io.py")  # its last check no longer did


def test_a_reader_decides_what_a_module_says(project: Path) -> None:
    main = project / "pkg" / "main.py"
    main.write_text("import torch\nfrom .io import load\n\nt = torch.tensor(load('a.npy'))\n", encoding="utf-8")
    index = default_index()
    real = index.reader
    index.reader = lambda path: b"def load(p):\n    return [p]\n" if path.name == "io.py" else real(path)
    try:
        assert _found(main) == set()  # an editor's unsaved text of io.py, say
    finally:
        index.reader = real
    assert _found(main) == {(4, "TNP101")}


@pytest.mark.parametrize(
    ("snippet", "parsed"),
    [
        ("import numpy as np\ndef load(p):\n    return np.load(p)\n", True),
        ("def device():\n    return 'cuda'\n", True),
        ("from .io import read\ndef load(p):\n    return read(p)\n", True),  # the project's helper may know
        ("from pkg.io import read\ndef load(p):\n    return read(p)\n", True),
        ("import os\ndef load(p):\n    return os.path.basename(p)\n", False),  # stdlib only: nothing a rule reads
        ("def sizes():\n    return [1, 2, 3]\n", False),
    ],
)
def test_a_helper_is_parsed_only_where_its_summary_could_be_known(snippet, parsed):
    assert _may_know(snippet) is parsed


MODELS = '''\
import torch
from torch import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        return torch.relu(self.fc(x))


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()

    def forward(self, x):
        return self.block(x)


class Wrapper(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


class Plain:
    def __call__(self, x):
        return torch.nn.Linear(4, 4)(x)
'''

USES = '''\
import torch
from .models import Net, Plain, Wrapper


def run(x):
    a = Net()(x).numpy()
    with torch.no_grad():
        b = Net()(x).numpy()
    c = Plain()(x).numpy()
    d = Wrapper(Net())(x).numpy()
    return a, b, c, d


class Trainer:
    def __init__(self):
        self.model = Net()

    def step(self, x):
        return self.model(x).numpy()
'''


def test_an_imported_module_class_gives_what_the_files_own_would(project: Path) -> None:
    # Net's forward calls a layer of another class of its module: both are parsed.
    _write(project, {"pkg/models.py": MODELS, "pkg/main.py": USES})
    assert _found(project / "pkg" / "main.py") == {(6, "TNP201"), (19, "TNP201")}


@pytest.mark.parametrize("models", [
    pytest.param(MODELS.replace("class Net(nn.Module):", "@torch.jit.script\nclass Net(nn.Module):"), id="decorated"),
    pytest.param(MODELS + "\nNet = Block\n", id="bound twice"),
    pytest.param(MODELS.replace("class Net(nn.Module):", "class Net(Base):").replace("import torch\n", "import torch\nfrom base import Base\n", 1),
                 id="a base of another module"),
    pytest.param(MODELS.replace("        return self.block(x)", "        return self.block(x), x"), id="forward returns a tuple"),
])
def test_an_imported_class_the_index_cannot_follow_is_unknown(project: Path, models: str) -> None:
    _write(project, {"pkg/models.py": models})
    main = project / "pkg" / "main.py"
    main.write_text("import torch\nfrom .models import Net\n\nt = Net()(torch.ones(4)).numpy()\n", encoding="utf-8")
    assert _found(main) == set()


def test_a_class_imported_from_a_module_that_changed_changes_the_findings(project: Path) -> None:
    _write(project, {"pkg/models.py": MODELS, "pkg/main.py": USES})
    main = project / "pkg" / "main.py"
    assert (6, "TNP201") in _found(main)
    _write(project, {"pkg/models.py": MODELS.replace("return self.block(x)", "return self.block(x).detach()")})
    assert _found(main) == set()


def test_only_classes_with_a_torch_nn_base_are_outlined(project: Path) -> None:
    _write(project, {"pkg/models.py": MODELS})
    path = project / "pkg" / "models.py"
    data = path.read_bytes()
    outline = default_index().outline(path, data, digest_of(data) or "")
    assert outline is not None and set(outline.classes) == {"Block", "Net", "Wrapper"}
    assert "class Block" in outline.source_of("Net")  # the class Net's __init__ makes goes with it


@pytest.mark.parametrize("text, name, may", [
    (b"def load(p):\n    pass\n", "load", True),
    (b"import torch\n", "load", False),
    (b"class Net(nn.Module):\n    pass\n", "Net", True),
    (b"class Net(torch.nn.Linear):\n    pass\n", "Net", True),
    (b"class Net(Module, Mixin):\n    pass\n", "Net", True),
    (b"class Trainer:\n    pass\n", "Trainer", False),
    (b"class Model(LightningModule):\n    pass\n", "Model", False),
])
def test_a_module_is_outlined_only_where_the_name_may_be_followed(text: bytes, name: str, may: bool) -> None:
    assert _may_define(text, name) is may
def _settled(*paths: Path) -> None:
    """Date files back past the disk memo's settling time, as files of a checkout are."""
    for path in paths:
        os.utime(path, ns=(time.time_ns() - 60_000_000_000,) * 2)


def _check_with(index: ProjectIndex, path: Path) -> tuple[set[tuple[int, str]], dict[str, str | None]]:
    dependencies: dict[str, str | None] = {}
    found = lint_source(path.read_text(), str(path), Selection().rules(), project=index, dependencies=dependencies)
    return {(f.line, f.code or "") for f in found}, dependencies


def _fresh_index() -> ProjectIndex:
    return ProjectIndex(decode_for_index, parse_for_index, SemanticModel.for_module)


def test_a_summary_made_for_one_check_serves_the_next_with_the_same_dependencies(project: Path) -> None:
    _write(project, {"pkg/mid.py": "from .io import load as inner\n\n\ndef load(p):\n    return inner(p)\n"})
    first, second = project / "pkg" / "a.py", project / "pkg" / "b.py"
    for path in (first, second):
        path.write_text("import torch\nfrom .mid import load\n\nt = torch.tensor(load('a.npy'))\n", encoding="utf-8")
    alone = _check_with(_fresh_index(), second)
    index = _fresh_index()
    _check_with(index, first)
    after_another = _check_with(index, second)
    assert after_another == alone
    assert alone[0] == {(4, "TNP101")}
    assert {str(project / "pkg" / "mid.py"), str(project / "pkg" / "io.py")} <= set(alone[1])
    assert second in index.importers_of(project / "pkg" / "io.py")  # the reverse edge, through mid.py


def test_a_remembered_summary_is_made_again_when_a_file_it_read_changed(project: Path) -> None:
    _write(project, {"pkg/mid.py": "from .io import load as inner\n\n\ndef load(p):\n    return inner(p)\n"})
    main = project / "pkg" / "main.py"
    main.write_text("import torch\nfrom .mid import load\n\nt = torch.tensor(load('a.npy'))\n", encoding="utf-8")
    _settled(*(project / "pkg").glob("*.py"))
    index = _fresh_index()
    assert _check_with(index, main)[0] == {(4, "TNP101")}
    # io.py, read through mid.py's summary, now returns a list: the summary must not be reused.
    _write(project, {"pkg/io.py": LOADER.replace("return np.load(p)", "return [p]")})
    assert _check_with(index, main)[0] == set()


def test_the_disk_memo_rereads_a_file_rewritten_within_a_clock_tick(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    disk = _DiskFiles()
    path.write_bytes(b"x = 1\n")
    assert disk.read(path)[0] == b"x = 1\n"
    path.write_bytes(b"x = 2\n")  # the same size, maybe the same mtime: never taken for the old text
    assert disk.read(path) == (b"x = 2\n", digest_of(b"x = 2\n"))
    _settled(path)
    data, _ = disk.read(path)
    assert disk.read(path)[0] is data  # a settled, unchanged file is read once
    path.write_bytes(b"x = 3\n")
    assert disk.read(path)[0] == b"x = 3\n"
    path.unlink()
    assert disk.read(path) == (None, None)
    assert disk.read(tmp_path) == (None, None)  # a folder is no module


def test_a_readers_bytes_reuse_the_disk_memos_hash_only_when_they_are_its_own(tmp_path: Path, monkeypatch) -> None:
    """The language server's reader gives the disk memo's bytes for a file no editor has
    open: their hash is the one kept with them, not computed again; any other bytes (an
    open document's text, even with the same content) are hashed."""
    import hashlib

    import torchbridge.model.project_index as project_index

    path = tmp_path / "m.py"
    path.write_bytes(b"x = 1\n")
    _settled(path)
    disk = _DiskFiles()
    data, digest = disk.read(path)
    hashed: list[bytes] = []
    real = hashlib.sha256

    def counting(value: bytes = b""):
        hashed.append(value)
        return real(value)

    monkeypatch.setattr(project_index.hashlib, "sha256", counting)
    assert data is not None and disk.digest(path, data) == digest
    assert hashed == []
    assert disk.digest(path, bytes(bytearray(data))) == digest and len(hashed) == 1
    assert disk.digest(path, b"x = 2\n") == digest_of(b"x = 2\n")


def test_a_module_is_searched_for_a_name_once_per_content(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``_may_define`` reads the whole module: asked once per content and name in a process,
    however many checks import the name; a changed module is searched again."""
    searched: list[str] = []
    real = project_index._may_define

    def counting(data: bytes, name: str) -> bool:
        searched.append(name)
        return real(data, name)

    monkeypatch.setattr(project_index, "_may_define", counting)
    unique = f"# {project}\n"  # the index is the process's: content no other test wrote
    _write(project, {"pkg/io.py": unique + LOADER})
    main = project / "pkg" / "main.py"
    main.write_text("import torch\nfrom .io import load\n\nt = torch.tensor(load('a.npy'))\n", encoding="utf-8")
    first = _found(main)
    assert first and searched == ["load"]
    assert _found(main) == first and searched == ["load"]  # the same bytes: not searched again
    _write(project, {"pkg/io.py": unique + LOADER.replace("def load(p)", "def read(p)")})
    assert _found(main) != first and searched == ["load", "load"]  # new content: searched, and no load
