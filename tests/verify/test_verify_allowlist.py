"""The verifier's allowlist names objects, not prefixes: every escape found so far (a module
torch imports, a method called on a value of unproven type, a module whose import runs a
program, and the Python forms that hide either) is refused before anything runs, in the
parent and again in the child. Each escape would write a marker file if it ran."""

from __future__ import annotations

import dataclasses
import re
import sys

import pytest

pytest.importorskip("torch")
pytest.importorskip("numpy")

from torchbridge import check_source  # noqa: E402
from torchbridge.verify import (  # noqa: E402
    Verifier,
    allowlist,  # noqa: E402
    sandbox,
)
from torchbridge.verify.allowlist import NotAllowed, check, resolve  # noqa: E402
from torchbridge.verify.cases import draw_cases  # noqa: E402

FRESH = "import numpy as np\nimport torch\ndef f(frames):\n    stacked = np.stack(frames)\n    return torch.tensor(stacked)\n"
# Names a probe could be handed by the model for `from X import Y as NAME`.
NAMES = {
    "np": "numpy", "torch": "torch",
    "sh": "torch.utils.cpp_extension.shutil", "hubsh": "torch.hub.shutil", "tq": "torch.amp.grad_scaler.torch",
    "f2py": "numpy.f2py.__main__.main", "dump": "torch.utils.model_dump.__main__.main", "run": "builtins.exec",
}


@pytest.fixture(scope="module")
def verifier():
    return Verifier(("cpu",))


@pytest.fixture
def paths(tmp_path):
    """(source, marker): an escape copies the one to the other, or writes the marker."""
    source = tmp_path / "source"
    source.write_text("data\n")
    return source, tmp_path / "marker"


def probe_of(snippet: str, prelude: tuple[str, ...] = ()):
    """TNP101's real fix on FRESH, its fixed side replaced by ``snippet`` (after ``prelude``),
    with the names of NAMES it uses (as the model maps only the names a probe uses)."""
    finding = next(f for f in check_source(FRESH, select=["TNP101"]) if f.fix is not None)
    used = set(re.findall(r"\w+", " ".join((snippet, *prelude))))
    names = tuple(sorted((k, v) for k, v in NAMES.items() if k in used or k == "torch"))
    probe = dataclasses.replace(finding.fix.probe, fixed=snippet, prelude=prelude, names=names)
    return dataclasses.replace(finding, fix=dataclasses.replace(finding.fix, probe=probe))


# shutil.copy: a method name the verifier lists (ndarray.copy), on a module it must not reach.
COPY = "copy('{source}', '{marker}')"
ESCAPES = {
    # The issue's reproduction: a module torch imports, and a method called on `[x][0]`.
    "module-torch-imports": f"torch.cuda.amp.GradScaler(init_scale=[sh][0].{COPY})",
    "module-through-torch-hub": f"[hubsh][0].{COPY}",
    # A method called on a value whose type only a name check could judge.
    "method-on-a-conditional": f"(sh if _in0 is None else sh).{COPY}",
    "method-on-a-bool-op": f"(_in0 is None or sh).{COPY}",
    "method-on-an-item": f"[_in0, sh][1].{COPY}",
    "method-on-a-tuple-item": f"(torch, sh)[1].{COPY}",
    "method-on-an-object-array-item": f"np.array([sh], dtype='O')[0].{COPY}",
    "method-on-a-keyword-value": f"torch.zeros(2, dtype=[sh][0].{COPY})",
    "method-on-a-module-attribute": f"sh.{COPY}",
    # Attribute chains through listed modules into ones that are not.
    "chain-through-torch-utils": f"torch.utils.cpp_extension.shutil.{COPY}",
    "chain-through-a-list": f"[torch.utils][0].cpp_extension.shutil.{COPY}",
    "chain-through-an-unlisted-submodule": "torch.amp.grad_scaler.torch.save(_in0, '{marker}')",
    "alias-of-torch-through-a-submodule": "tq.save(_in0, '{marker}')",
    "chain-into-numpy-lib": "np.lib.format.open_memmap('{marker}', mode='w+', shape=(1,))",
    "torch-save-through-a-list": "[torch][0].save(_in0, '{marker}')",
    # A listed module hidden in an object array is not data.
    "object-array-of-a-module": "np.array([np], dtype=object).item().save('{marker}', _in0)",
    # Methods of values whose type is proven, but not listed.
    "ndarray-tofile": "_in0.tofile('{marker}')",
    "tensor-numpy-tofile": "torch.as_tensor(_in0).numpy().tofile('{marker}')",
    "module-hook": "torch.nn.Linear(2, 2).register_forward_hook(np.save)",
    # Python forms that hide a call.
    "comprehension": "torch.tensor([torch.save(_in0, '{marker}') for _ in (0,)])",
    "lambda": "(lambda: torch.save(_in0, '{marker}'))()",
    "walrus": f"(s := sh).{COPY}",
    "starred-list": f"[*[sh]][0].{COPY}",
    "starred-argument": f"torch.zeros(*[[sh][0].{COPY}])",
    "f-string": "f'{{[sh][0].copy(\"{source}\", \"{marker}\")}}'",
    "double-star-keywords": "torch.zeros(2, **dict(out=torch.save(_in0, '{marker}')))",
    "string-formatting": f"'%s' % [[sh][0].{COPY}]",
    "builtin-exec-by-another-name": "run(\"open('{marker}', 'w')\")",
    "getattr": "getattr(torch, 'save')(_in0, '{marker}')",
    "dunder-import": f"__import__('shutil').{COPY}",
    "dunder-subclasses": "().__class__.__base__.__subclasses__()",
    "dunder-builtins": "__builtins__['open']('{marker}', 'w')",
    "dunder-array": "torch.as_tensor(_in0).__array__().tofile('{marker}')",
}
STATEMENT_ESCAPES = {
    # Statements the probe's own prelude could hold.
    "own-name-aliasing-a-forbidden-module": ("DEVICE = sh", f"DEVICE.{COPY}"),
    "own-name-through-a-listed-module": ("x = torch.hub", f"x.shutil.{COPY}"),
    "own-name-from-an-item": ("DEVICE = [sh][0]", f"DEVICE.{COPY}"),
    "rebinding-torch": ("torch = np", "torch.save('{marker}', _in0)"),
    "use-before-rebinding": ("open('{marker}', 'w')", "open = torch.zeros"),
    "decorator": ("@(lambda f: torch.save(_in0, '{marker}'))\ndef g(): pass",),
    "default-argument": (f"def g(a=[sh][0].{COPY}): pass",),
    "class-body": (f"class C:\n    x = [sh][0].{COPY}",),
    "import": ("import shutil", f"shutil.{COPY}"),
    "unpacking": ("a, b = sh, sh", f"a.{COPY}"),
    "attribute-store": ("torch.save2 = torch.zeros", "torch.save2(1)"),
    "with": (f"with torch.cuda.amp.autocast():\n    [sh][0].{COPY}",),
}


@pytest.mark.parametrize("snippet", list(ESCAPES.values()), ids=list(ESCAPES))
def test_escape_is_not_verifiable_and_never_runs(verifier, paths, snippet):
    source, marker = paths
    result = verifier.verify(probe_of(snippet.format(source=source, marker=marker)))
    assert [d.verdict for d in result.devices] == ["not-verifiable"]
    assert result.devices[0].reason and "Traceback" not in result.devices[0].reason
    assert not marker.exists()


@pytest.mark.parametrize("prelude", list(STATEMENT_ESCAPES.values()), ids=list(STATEMENT_ESCAPES))
def test_statement_escape_is_not_verifiable_and_never_runs(verifier, paths, prelude):
    source, marker = paths
    statements = tuple(s.format(source=source, marker=marker) for s in prelude)
    result = verifier.verify(probe_of("torch.as_tensor(_in0)", statements))
    assert [d.verdict for d in result.devices] == ["not-verifiable"]
    assert not marker.exists()


def test_the_child_refuses_what_the_parent_did_not_check(paths):
    """Whoever calls the child directly, it checks its own side before running it."""
    source, marker = paths
    finding = probe_of(f"[sh][0].{COPY}".format(source=source, marker=marker))  # ran before the fix
    probe = dataclasses.asdict(finding.fix.probe)
    cases = draw_cases(finding.fix.probe.holes, finding.fix.entry.key, ("cpu",), count=1)
    with pytest.raises(sandbox.SideFailed, match="never run"):
        sandbox.run_in_child(sandbox.run_side, probe, "fixed", cases, "cpu", cpu_only=True)
    assert not marker.exists()
    # The same side, allowed, runs.
    allowed = dict(probe, fixed="torch.as_tensor(_in0)")
    assert sandbox.run_in_child(sandbox.run_side, allowed, "fixed", cases, "cpu", cpu_only=True)[0]["raised"] is None


def _bind_and_list_new_modules(names):
    before = set(sys.modules)
    bound = allowlist.bindings(names)
    return sorted(bound), sorted(set(sys.modules) - before)


def test_names_resolve_without_importing_anything():
    """`numpy.f2py.__main__` and `torch.utils.model_dump.__main__` run a program when
    imported; the child used to import them to bind a name. Now it binds listed objects
    only, read from module dictionaries."""
    names = [("f2py", NAMES["f2py"]), ("dump", NAMES["dump"]), ("sh", NAMES["sh"]), ("tq", NAMES["tq"]),
             ("GradScaler", "torch.cuda.amp.GradScaler"), ("torch", "torch")]
    bound, imported = sandbox.run_in_child(_bind_and_list_new_modules, names, cpu_only=True)
    assert bound == ["GradScaler", "torch", "tq"]  # tq is torch itself, reached through a submodule
    assert imported == []


def test_a_name_is_an_object_not_a_prefix():
    import numpy as np
    import torch

    assert resolve("torch.cuda.amp.GradScaler") is torch.cuda.amp.GradScaler
    # The defining module's spelling reaches the same object: accepted.
    assert resolve("torch.amp.grad_scaler.GradScaler") is torch.amp.GradScaler
    assert resolve("numpy.ascontiguousarray") is np.ascontiguousarray
    for name in ("torch.utils.cpp_extension.shutil", "torch.hub.shutil", "torch.amp.grad_scaler.torch.load",
                 "torch.serialization", "numpy.random.seed", "numpy.f2py.__main__.main", "torch._dynamo",
                 "os.system", "torch.Tensor.tofile"):
        with pytest.raises(NotAllowed):
            resolve(name)


def test_every_listed_name_exists_in_this_torch_and_numpy():
    """A typo in the lists would silently refuse a real probe."""
    listed = {entry.qualname for entry in allowlist._listed().values()}
    aliases = {"torch.half", "torch.float", "torch.double", "torch.short", "torch.int", "torch.long", "numpy.bool_"}
    wanted = {*allowlist.MODULES, *allowlist.FUNCTIONS, *allowlist.VALUES} - aliases
    assert wanted - listed == set()


@pytest.mark.parametrize(
    ("snippet", "reason"),
    [
        # A method must be listed for every kind the receiver may be.
        ("(_in0 if _in0 is None else torch.nn.Linear(1, 1)).copy()", "`.copy` of an nn.Module"),
        ("np.transpose(torch.as_tensor(_in0)).copy()", "`.copy` of a tensor"),
        ("torch.as_tensor(_in0).astype(np.float32)", "`.astype` of a tensor"),
        ("torch.nn.Linear(2, 2)(torch.as_tensor(_in0))", "calling an nn.Module"),
        ("torch.float32.to_real()", "`.to_real` of a dtype"),
        ("[][0].copy()", "unknown type"),
    ],
)
def test_a_method_needs_a_receiver_of_proven_type(snippet, reason):
    with pytest.raises(NotAllowed, match=reason):
        check([snippet], NAMES, {"_in0": "array"})


@pytest.mark.parametrize(
    "snippet",
    [
        "np.transpose(_in0).copy()",  # an ndarray or a NumPy scalar: both have .copy
        "(np.zeros if _in0.ndim else np.ones)(3)",  # either is listed
        "torch.as_tensor(_in0).to(torch.get_default_device()).shape[0]",
        "torch.amp.GradScaler('cpu', init_scale=2.0**10)",
    ],
)
def test_what_is_proven_runs(snippet):
    check([snippet], NAMES, {"_in0": "array"})


ISSUE_FILES = {
    "cpp-extension": "from torch.utils.cpp_extension import shutil as sh\n",
    "hub": "from torch.hub import shutil as sh\n",
}


@pytest.mark.parametrize("line", list(ISSUE_FILES.values()), ids=list(ISSUE_FILES))
def test_issue_reproduction_neither_verifies_nor_fixes(tree, cli, line):
    root = tree({"source": "data\n"})
    text = (f"import torch\n{line}"
            "s = torch.cuda.amp.GradScaler(init_scale=[sh][0].copy('source', 'marker'))\n")
    tree({"a.py": text})
    code, out, _ = cli("verify", "--isolated", "--unsafe-fixes", "--device", "cpu", "a.py")
    assert "TNP304 [unsafe] cpu: not-verifiable" in out and "never run" in out
    assert not (root / "marker").exists()
    code, out, err = cli("fix", "--isolated", "--unsafe-fixes", "--verify", "a.py")
    assert (root / "a.py").read_text() == text
    assert "TNP304 not fixed: the verifier did not prove it" in err
    assert not (root / "marker").exists()


@pytest.mark.parametrize("module", ["numpy.f2py.__main__", "torch.utils.model_dump.__main__"])
def test_a_module_that_runs_a_program_is_never_imported(tmp_path, module):
    """Importing either module runs its program: in the verifier's child it read the
    command line and printed its usage. The verdict must say why, with nothing printed
    (a subprocess, so that the child's own output is seen)."""
    import subprocess

    (tmp_path / "a.py").write_text(f"import torch\nfrom {module} import main as f\ns = torch.cuda.amp.GradScaler(init_scale=f)\n")
    command = ["verify", "--isolated", "--unsafe-fixes", "--device", "cpu", "a.py"]
    run = subprocess.run([sys.executable, "-m", "torchbridge", *command],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert f"cpu: not-verifiable [`{module}.main` is never run (imported as `f`)]" in run.stdout
    assert run.stderr == ""
    assert "usage" not in run.stdout.lower()
