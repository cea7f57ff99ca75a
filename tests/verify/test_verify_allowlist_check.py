"""The verifier's static check, driven directly and in-process (no child, no torch run): what
each side of a probe runs, which names each side starts with, how a qualified name becomes
a listed object, and the exact reason a refused probe is reported with (``verify`` prints it
as ``not-verifiable [reason]``, and ``fix --verify`` says a fix was held back because of it)."""

from __future__ import annotations

import re
import types

import pytest
from needs import needs

np = needs("numpy", "the allowlist resolves names to NumPy objects")
torch = needs("torch", "the allowlist resolves names to torch objects")

from torchbridge.verify import allowlist  # noqa: E402
from torchbridge.verify.allowlist import (  # noqa: E402
    NotAllowed,
    bindings,
    check,
    check_probe,
    check_side,
    resolve,
    side_program,
)

NAMES = {"np": "numpy", "torch": "torch"}


def probe(**changes):
    """A probe as the verifier gets it (``dataclasses.asdict`` of a ``ProbeText``): TNP101's
    shape, an expression probe on one array hole, with ``changes`` applied."""
    base = {
        "original": "np.asarray(_in0)", "fixed": "torch.as_tensor(_in0)", "holes": (("_in0", "array", ()),),
        "use": "{}", "prelude": (), "fixed_prelude": (), "names": tuple(NAMES.items()), "hole_sources": ("",),
    }
    return base | changes


def refusal(call, *args) -> str:
    with pytest.raises(NotAllowed) as refused:
        call(*args)
    return str(refused.value)


# ---------------------------------------------------------------- what each side runs


def test_each_side_runs_the_shared_prelude_and_only_the_fixed_side_the_inserted_statements():
    p = probe(prelude=("a = np.zeros(2)",), fixed_prelude=("d = torch.device('cpu')",), use="_torch.zeros(2).to({})")
    assert side_program(p, "original") == (["a = np.zeros(2)"], "_torch.zeros(2).to(np.asarray(_in0))", "eval")
    assert side_program(p, "fixed") == (
        ["a = np.zeros(2)", "d = torch.device('cpu')"], "_torch.zeros(2).to(torch.as_tensor(_in0))", "eval")


def test_a_statement_probe_runs_its_snippets_as_they_are():
    p = probe(original="x.to('cpu')", fixed="x = x.to('cpu')", use="exec")
    assert side_program(p, "original") == ([], "x.to('cpu')", "exec")
    assert side_program(p, "fixed") == ([], "x = x.to('cpu')", "exec")


def test_an_expression_probe_is_checked_as_an_expression():
    """A statement where an expression is used would not compile in the child either."""
    assert refusal(check_probe, probe(fixed="y = torch.as_tensor(_in0)")).startswith("cannot parse the probe: ")
    check_probe(probe(fixed="y = torch.as_tensor(_in0)", original="y = np.asarray(_in0)", use="exec"))


@pytest.mark.parametrize("side", ["original", "fixed"])
def test_a_probe_runs_only_when_both_sides_may(side):
    check_probe(probe())
    p = probe(**{side: "np.save('out', _in0)"})
    assert refusal(check_probe, p) == "`numpy.save` is never run"
    assert refusal(check_side, p, side) == "`numpy.save` is never run"
    check_side(p, "fixed" if side == "original" else "original")


def test_the_inserted_statements_are_checked_on_the_fixed_side_and_bind_its_names():
    p = probe(fixed_prelude=("d = torch.device('cpu')",), fixed="torch.as_tensor(_in0).to(d)")
    check_probe(p)
    # The original side does not run them: the name is not bound there.
    assert refusal(check_side, probe(original="np.asarray(_in0).copy(d)"), "original") == (
        "`d` is not something the verifier can make or import")
    bad = probe(fixed_prelude=("import os",))
    check_side(bad, "original")
    assert refusal(check_side, bad, "fixed") == "an import is not run by the verifier"


def test_the_shared_prelude_is_checked_on_both_sides_before_the_snippet():
    check_probe(probe(prelude=("a = np.zeros(2)",), original="a.copy()", fixed="torch.as_tensor(a)"))
    bad = probe(prelude=("a = open('x')",))
    assert refusal(check_side, bad, "original") == "`open` is never run"
    assert refusal(check_side, bad, "fixed") == "`open` is never run"


# ---------------------------------------------------------------- the names a side starts with


def statement_probe(**changes):
    """TNP404's shape: the hole is the plain name ``x``, the fix rebinds it."""
    return probe(original="x.to('cpu')", fixed="x = x.to('cpu')", holes=(("_in0", "tensor", ()),), use="exec",
                 hole_sources=("x",)) | changes


def test_a_statement_probe_starts_the_holes_own_name_as_the_input():
    check_probe(statement_probe())
    # The input is a tensor: what a tensor lacks is refused through the hole's own name too.
    assert refusal(check_side, statement_probe(original="x.astype('f')"), "original") == (
        "`.astype` of a tensor is not on the verifier's allowlist")


@pytest.mark.parametrize("changes", [{"hole_sources": ()}, {"hole_sources": ("",)}])
def test_the_holes_own_name_is_bound_only_in_a_probe_that_names_it(changes):
    p = statement_probe(**changes)
    assert refusal(check_side, p, "original") == "`x` is not something the verifier can make or import"
    check_side({k: v for k, v in p.items() if k != "hole_sources"} | {"original": "_in0.cpu()"}, "original")


def test_an_expression_probe_starts_the_holes_own_name_too():
    # A fix may name the hole in the text it inserts (TNP311's ``device=x.device``).
    check_side(statement_probe(use="{}", original="x", fixed="torch.zeros(2, device=x.device)"), "fixed")
    assert refusal(check_side, statement_probe(use="{}", original="x.astype('f')"), "original") == (
        "`.astype` of a tensor is not on the verifier's allowlist")


def test_torch_is_there_as_the_verifiers_own_name_and_every_other_name_must_be_imported():
    check(["_torch.zeros(2)"], {}, [])
    assert refusal(check, ["torch.zeros(2)"], {}, []) == "`torch` is not something the verifier can make or import"
    assert refusal(check, ["np.zeros(2)"], {"torch": "torch"}, []) == (
        "`np` is not something the verifier can make or import")


def test_an_import_that_is_not_listed_refuses_the_probe_only_where_it_is_used():
    names = {"sp": "scipy", "sh": "torch.hub.shutil", "norm": "numpy.linalg.norm", "d": "torch.__dict__", **NAMES}
    check(["np.asarray(_in0)"], names, ["_in0"])
    assert refusal(check, ["sp"], names, []) == "`scipy` is not NumPy or torch (imported as `sp`)"
    assert refusal(check, ["sh"], names, []) == "`torch.hub.shutil` is never run (imported as `sh`)"
    assert refusal(check, ["norm"], names, []) == "`numpy.linalg.norm` is not on the verifier's allowlist (imported as `norm`)"
    assert refusal(check, ["d"], names, []) == "`torch.__dict__` is not on the verifier's allowlist (imported as `d`)"


def test_an_imported_name_holds_what_it_names():
    names = {"zeros": "torch.zeros", "nn": "torch.nn", "f32": "torch.float32", "cuda": "torch.cuda"}
    check(["zeros(2).numpy()", "nn.Linear(2, 2).cpu()", "zeros(2, dtype=f32)", "cuda.is_available()"], names, [])
    assert refusal(check, ["f32(2)"], names, []) == "calling a dtype: only listed functions and methods are called"
    assert refusal(check, ["zeros.x"], names, []) == "`torch.zeros.x`: the verifier reads no attribute of a function or class"


@pytest.mark.parametrize(("role", "allowed", "source", "reason"), [
    ("array", "_in0.copy()", "_in0.numpy()", "`.numpy` of an ndarray is not on the verifier's allowlist"),
    ("tensor", "_in0.numpy()", "_in0.copy()", "`.copy` of a tensor is not on the verifier's allowlist"),
    ("data", "torch.tensor(_in0)", "_in0.T", "`.T` of a list or tuple is not on the verifier's allowlist"),
    ("receiver", "_in0.cuda()", "_in0.numpy()", "`.numpy` of an nn.Module is not on the verifier's allowlist"),
    ("array list", "_in0[0].copy()", "_in0[0].numpy()", "`.numpy` of an ndarray is not on the verifier's allowlist"),
    ("tensor list", "torch.stack(_in0).numpy()", "_in0.copy()", "`.copy` of a list or tuple is not on the verifier's allowlist"),
    # A bare input is an array or a tensor: only what both have.
    ("", "_in0.T", "_in0.numpy()", "`.numpy` of an ndarray is not on the verifier's allowlist"),
    # A role the verifier does not know: nothing is proven about the value.
    ("a role from a newer rule", "torch.tensor(_in0)", "_in0.T", "`.T` of an opaque value is not on the verifier's allowlist"),
])
def test_a_hole_holds_what_its_role_is_filled_with(role, allowed, source, reason):
    check([allowed], NAMES, {"_in0": role})
    assert refusal(check, [source], NAMES, {"_in0": role}) == reason


def test_extra_names_hold_an_input_without_replacing_one():
    check(["y.T"], {}, {"_in0": "tensor"}, extra_names=["y"])
    assert refusal(check, ["y.T"], {}, {"_in0": "tensor"}) == "`y` is not something the verifier can make or import"
    # `_in0` stays the tensor it was given as.
    check(["_in0.numpy()"], {}, {"_in0": "tensor"}, extra_names=["_in0"])


# ---------------------------------------------------------------- qualified names to objects


@pytest.mark.parametrize(("name", "reason"), [
    ("os.system", "`os.system` is never run"),
    ("torch.hub.load", "`torch.hub.load` is never run"),
    ("torch.save", "`torch.save` is never run"),
    # A forbidden name is a name, not a prefix of the text.
    ("ossify", "`ossify` is not NumPy or torch"),
    ("torch.utilsx", "`torch.utilsx` is not on the verifier's allowlist"),
    ("scipy.linalg", "`scipy.linalg` is not NumPy or torch"),
    ("torch.serialization", "`torch.serialization` is not on the verifier's allowlist"),
    ("numpy.random.seed", "`numpy.random.seed` is not on the verifier's allowlist"),
    ("torch.Tensor.tofile", "`torch.Tensor.tofile` is not on the verifier's allowlist"),
    ("torch.__builtins__", "`torch.__builtins__` is not on the verifier's allowlist"),
    ("torch..zeros", "`torch..zeros` is not on the verifier's allowlist"),
    ("torch.zeros ", "`torch.zeros ` is not on the verifier's allowlist"),
])
def test_a_name_that_denotes_no_listed_object_is_refused_with_why(name, reason):
    assert refusal(resolve, name) == reason


def test_bindings_are_the_listed_objects_and_nothing_else():
    names = [("np", "numpy"), ("z", "torch.zeros"), ("sh", "torch.hub.shutil"), ("__t", "torch"), ("sp", "scipy"),
             ("GS", "torch.amp.grad_scaler.GradScaler")]
    bound = bindings(names)
    assert bound == {"np": np, "z": torch.zeros, "GS": torch.amp.GradScaler}
    assert all(bound[k] is v for k, v in (("np", np), ("z", torch.zeros), ("GS", torch.amp.GradScaler)))


def test_an_object_listed_under_two_names_is_reported_under_the_first():
    """numpy.bool_ is numpy.bool in NumPy 2: the reason names it as the list does."""
    if np.bool_ is not getattr(np, "bool", None):
        pytest.skip("numpy.bool is not numpy.bool_ in this NumPy (before 2.0)")
    assert refusal(check, ["np.bool_.x"], NAMES, []) == "`numpy.bool.x`: the verifier reads no attribute of a function or class"


@pytest.fixture
def fake_roots(monkeypatch):
    """torch and numpy replaced by small modules; the cache of listed objects rebuilt around."""
    def install(torch_module, numpy_module):
        monkeypatch.setattr(allowlist, "_roots", lambda: {"torch": torch_module, "numpy": numpy_module})
        allowlist._listed.cache_clear()

    yield install
    allowlist._listed.cache_clear()


def test_a_listed_module_of_a_class_of_its_own_is_not_listed(fake_roots):
    """A module subclass may run code on attribute access: it is neither walked nor listed."""

    class Lazy(types.ModuleType):
        pass

    fake_torch, fake_numpy = types.ModuleType("torch"), types.ModuleType("numpy")
    fake_torch.cuda = Lazy("torch.cuda")
    fake_torch.cuda.is_available = lambda: False
    fake_torch.zeros = lambda *shape: None
    fake_numpy.zeros = lambda *shape: None
    fake_roots(fake_torch, fake_numpy)
    assert resolve("torch.zeros") is fake_torch.zeros
    assert resolve("numpy.zeros") is fake_numpy.zeros
    assert refusal(resolve, "torch.cuda") == "`torch.cuda` is not on the verifier's allowlist"
    assert refusal(resolve, "torch.cuda.is_available") == "`torch.cuda.is_available` is not on the verifier's allowlist"


# ---------------------------------------------------------------- the reason a probe is refused


@pytest.mark.parametrize(("source", "reason"), [
    # statements
    ("_in0.T = 1", "assigning to anything but a name is not run by the verifier"),
    ("a = b = _in0.T", None),
    ("a = b = open", "`open` is never run"),
    ("__x = 1", "dunder name `__x`"),
    ("del _in0", "`del` is not run by the verifier"),
    ("import os", "an import is not run by the verifier"),
    ("_in0 += 1", "an augmented assignment is not run by the verifier"),
    ("pass", "`Pass` is not run by the verifier"),
    ("x = (yield)", "yield is not run by the verifier"),
    # names
    ("__builtins__", "dunder name `__builtins__`"),
    ("exec", "`exec` is never run"),
    ("user_function", "`user_function` is not something the verifier can make or import"),
    # attributes
    ("_in0.__class__", "dunder attribute `__class__`"),
    ("torch.jit", "`torch.jit` is never run"),
    ("torch.nope", "`torch.nope` is not on the verifier's allowlist"),
    ("torch.zeros.__name__", "dunder attribute `__name__`"),
    ("torch.Tensor.tofile", "`torch.Tensor.tofile`: the verifier reads no attribute of a function or class"),
    ("_in0.nope", "`.nope` of an ndarray is not on the verifier's allowlist"),
    ("torch.device('cpu').nope", "`.nope` of a device is not on the verifier's allowlist"),
    ("torch.float32.nope", "`.nope` of a dtype is not on the verifier's allowlist"),
    ("_in0.dtype.nope", "`.nope` of a numpy dtype is not on the verifier's allowlist"),
    ("_in0.shape.nope", "`.nope` of a shape is not on the verifier's allowlist"),
    ("(1).nope", "`.nope` of a constant is not on the verifier's allowlist"),
    ("torch.nn.Linear(1, 1).nope", "`.nope` of an nn.Module is not on the verifier's allowlist"),
    ("torch.amp.GradScaler('cpu').nope", "`.nope` of an AMP object is not on the verifier's allowlist"),
    ("_in0.tolist().nope", "`.nope` of an opaque value is not on the verifier's allowlist"),
    ("[1].nope", "`.nope` of a list or tuple is not on the verifier's allowlist"),
    ("_in0.copy.nope", "`.nope` of the method `.copy` of an ndarray is not on the verifier's allowlist"),
    # calls
    ("torch.zeros(*torch.device('cpu'))", "a `*` argument of unproven type"),
    ("torch.zeros(**_in0)", "`**` arguments are not run by the verifier"),
    ("(1)(2)", "calling a constant: only listed functions and methods are called"),
    ("torch.cuda(1)", "calling `torch.cuda`: only listed functions and methods are called"),
    ("torch.zeros(torch.zeros)", "an argument that is `torch.zeros`: only data is passed"),
    ("torch.zeros([2, np])", "an argument that is `numpy`: only data is passed"),
    ("torch.zeros(2, dtype=torch.nn.Linear)", "an argument that is `torch.nn.Linear`: only data is passed"),
    ("torch.zeros(2, out=_in0.copy)", "an argument that is the method `.copy` of an ndarray: only data is passed"),
    # items
    ("torch.device('cpu')[0]", "an item of a device is not run by the verifier"),
    ("torch.zeros[0]", "an item of `torch.zeros` is not run by the verifier"),
    ("_in0[torch.nn.Linear(1, 1)]", "an index that is an nn.Module: only data is passed"),
    ("[*_in0]", "a starred item is not run by the verifier"),
    ("_in0[1:open]", "`open` is never run"),
    # operators
    ("-torch.device('cpu')", "an operator on a value of unproven type"),
    ("torch.device('cpu') + 1", "an operator on a value of unproven type"),
    ("1 + torch.device('cpu')", "an operator on a value of unproven type"),
    ("not open", "`open` is never run"),
    ("1 < open", "`open` is never run"),
    ("_in0 or open", "`open` is never run"),
    ("open if _in0 else 1", "`open` is never run"),
    ("1 if open else _in0", "`open` is never run"),
    ("1 if _in0 else open", "`open` is never run"),
    # the checker's own limits
    ("-" * 1000 + "1", "the probe is nested too deeply to check"),
])
def test_the_reason_is_what_stopped_the_probe(source, reason):
    if reason is None:
        check([source], NAMES, {"_in0": "array"})
        return
    assert refusal(check, [source], NAMES, {"_in0": "array"}) == reason


def test_a_probe_too_deep_to_parse_is_refused_with_why():
    reason = refusal(check, ["_in0" + ".T" * 50000], NAMES, ["_in0"])
    assert re.fullmatch(r"cannot parse the probe: (RecursionError|MemoryError|.+nest.+)", reason), reason


def test_the_statements_are_checked_in_order():
    check(["a = _in0.T", "b = a.copy()"], NAMES, {"_in0": "array"})
    assert refusal(check, ["b = a.copy()", "a = _in0.T"], NAMES, {"_in0": "array"}) == (
        "`a` is not something the verifier can make or import")


def test_a_name_after_a_dunder_import_is_still_bound():
    """Dunder names are never bound (the child leaves them out too); the names after one are."""
    check(["np.zeros(2)"], {"__x": "torch", "np": "numpy"}, [])


def test_a_walk_never_steps_through_a_dunder_or_a_name_no_attribute_could_have(fake_roots):
    fake_torch, fake_numpy = types.ModuleType("torch"), types.ModuleType("numpy")
    fake_torch.zeros = lambda *shape: None
    # Both lead back to the listed module itself, as `torch.amp.grad_scaler.torch` does.
    fake_torch.__back__ = fake_torch
    vars(fake_torch)["not a name"] = fake_torch
    fake_roots(fake_torch, fake_numpy)
    assert resolve("torch.zeros") is fake_torch.zeros
    assert refusal(resolve, "torch.__back__.zeros") == "`torch.__back__.zeros` is not on the verifier's allowlist"
    assert refusal(resolve, "torch.not a name.zeros") == "`torch.not a name.zeros` is not on the verifier's allowlist"


# ---------------------------------------------------------------- what a value may be


@pytest.mark.parametrize(("role", "source"), [
    # An operator: a tensor wins, then NumPy; the constant stays beside them only when both sides may be one.
    ("tensor", "(_in0 * 2).numpy()"),
    ("tensor", "(2 * _in0).numpy()"),
    ("array", "(_in0 + 1).copy()"),
    ("array", "(_in0.T + torch.zeros(2)).sum()"),
    ("", "-(_in0.T if _in0.ndim else 1) + 1"),
    ("", "1 - (_in0.T if _in0.ndim else 1)"),
    ("tensor", "x = 1 < 2"),
    ("tensor", "x = not _in0"),
    ("tensor", "(_in0 or torch.zeros(2)).numpy()"),
    # Items and slices.
    ("tensor", "_in0[0].numpy()"),
    ("array", "_in0[0].copy()"),
    ("array", "_in0[1:2].copy()"),
    ("tensor", "torch.tensor([1, 2, 3][0:2])"),
    ("tensor", "[_in0][:1][0].numpy()"),
    # `*` arguments: a shape, a tensor, an array, a list or tuple.
    ("tensor", "torch.zeros(*_in0.shape)"),
    ("tensor", "torch.zeros(*[2, 3])"),
    ("tensor", "_in0.permute(*(1, 0))"),
])
def test_what_a_value_is_proven_to_be_lets_it_run(role, source):
    check([source], NAMES, {"_in0": role})


@pytest.mark.parametrize(("role", "source", "reason"), [
    # Every kind a value may have is asked: a bare input is an ndarray too, whatever the last kind was.
    ("", "_in0.T.numpy()", "`.numpy` of an ndarray is not on the verifier's allowlist"),
    ("", "_in0.sum().numpy()", "`.numpy` of an ndarray is not on the verifier's allowlist"),
    ("tensor", "(_in0 or np.zeros(2)).copy()", "`.copy` of a tensor is not on the verifier's allowlist"),
    ("tensor", "[np.zeros(2), _in0][0].numpy()", "`.numpy` of an ndarray is not on the verifier's allowlist"),
    ("tensor", "(_in0 if _in0.ndim else [np.zeros(2)])[0].copy()", "`.copy` of a tensor is not on the verifier's allowlist"),
    # An operator on an array gives no tensor.
    ("array", "(_in0 + 1).numpy()", "`.numpy` of an ndarray is not on the verifier's allowlist"),
    # An item of what may be an array or a shape may be a NumPy value, and so what a comparison
    # of it gives, added to a tensor.
    ("array", "(((_in0 if _in0.ndim else _in0.shape)[0] < 1) + torch.zeros(2)).numpy()",
     "`.numpy` of an ndarray is not on the verifier's allowlist"),
    # A slice of a list is a list.
    ("array", "[_in0][0:1].copy()", "`.copy` of a list or tuple is not on the verifier's allowlist"),
    # np.transpose(t) calls t.transpose: what it gives back may be a tensor, wherever the tensor is passed.
    ("tensor", "np.transpose(_in0, (1, 0)).copy()", "`.copy` of a tensor is not on the verifier's allowlist"),
    ("tensor", "np.transpose(_in0, axes=(1, 0)).copy()", "`.copy` of a tensor is not on the verifier's allowlist"),
    ("tensor", "np.transpose(_in0 > 0).copy()", "`.copy` of a tensor is not on the verifier's allowlist"),
    ("array", "np.transpose(_in0).numpy()", "`.numpy` of an ndarray is not on the verifier's allowlist"),
    ("tensor", "[][0]", "a value of unknown type"),
    ("tensor", "torch.zeros(*1)", "a `*` argument of unproven type"),
])
def test_a_value_is_refused_for_any_kind_it_may_have(role, source, reason):
    assert refusal(check, [source], NAMES, {"_in0": role}) == reason
