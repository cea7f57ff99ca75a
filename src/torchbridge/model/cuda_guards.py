"""Where code runs only with CUDA, tracked during the model's walk.

``guards`` says which conditions mean "CUDA is there"; this module follows them through the
walk: the depth of guards around the current point (an ``if`` branch, a guarded
expression, a CUDA skip decorator, the rest of a block after a CUDA early exit), and
whether the module cannot run without CUDA at all (it imports TensorRT, or pins its process
to a GPU unguarded, or calls a project helper that does: ``commits_on_every_return``). The
device rules ask it through ``SemanticModel.in_cuda_guard`` and ``cuda_only_module``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, NamedTuple

import libcst as cst

from . import blocks, guards
from .grad_mode import UNCHANGED
from .names import callee_name, dotted, string_value
from .tree import children

if TYPE_CHECKING:
    from .semantic import SemanticModel


class CudaGuards:
    def __init__(self, model: SemanticModel) -> None:
        self._model = model
        self.depth = 0  # CUDA guards around the current point
        # Of those, the ones that only follow a call that raises without CUDA (``set_device``):
        # the code is committed to CUDA there, not checked for it.
        self.committed = 0
        # Tests of accelerator-only checks around the current point (innermost last): they
        # guard device-generic code, not CUDA calls (true on MPS and XPU too).
        self.accelerator_tests: list[cst.BaseExpression] = []
        self._cuda_only = False  # the module runs only with CUDA, as the walk has shown it
        self.cuda_library_module = False  # ... because it imports a CUDA-only library
        self._sets_up_library: bool | None = None  # see ``sets_up_cuda_only_library``; None: not asked yet
        # Unguarded calls of project functions (a ``def`` of this module, or the reference
        # of an imported one) that may commit the module: judged only when asked.
        self._helper_calls: dict[cst.FunctionDef | str, None] = {}

    @property
    def cuda_only_module(self) -> bool:
        """The module runs only with CUDA: it imports a CUDA-only library, pins its process
        to a GPU unguarded (``requires_cuda``), or unguardedly calls a project function
        that returns only with CUDA committed (``commits_on_every_return``; those are read
        here, on the first question, once)."""
        if not self._cuda_only and self._helper_calls:
            calls, self._helper_calls = self._helper_calls, {}
            self._cuda_only = any(self._helper_commits(target) for target in calls)
        return self._cuda_only

    def _helper_commits(self, target: cst.FunctionDef | str) -> bool:
        model = self._model
        if type(target) is cst.FunctionDef:
            return commits_on_every_return(model, target)
        return model.project is not None and model.project.judged(target, commits_on_every_return)  # type: ignore[arg-type]

    def _note_helper_call(self, func: cst.BaseExpression) -> None:
        """Remembers an unguarded call of a project function, to be judged if asked."""
        model = self._model
        function = model.called_top_level_function(func) if type(func) is cst.Name else None
        if function is not None:
            self._helper_calls[function] = None
            return
        reference = model.imported_reference(func)
        if reference is not None:
            self._helper_calls[reference] = None

    @property
    def active(self) -> bool:
        return self.depth > 0

    def guarded(self, active: bool = True, test: cst.BaseExpression | None = None) -> AbstractContextManager[None]:
        """Code that runs only when ``active``; an accelerator-only ``test`` guards no CUDA call.
        Code that is not (most blocks) changes nothing: a shared empty context."""
        if not active:
            return UNCHANGED
        return self._guarded(test)

    @contextmanager
    def _guarded(self, test: cst.BaseExpression | None) -> Iterator[None]:
        accelerator = test is not None and guards.accelerator_only(test)
        if accelerator:
            self.accelerator_tests.append(test)  # type: ignore[arg-type]  # not None when accelerator
        self.depth += not accelerator
        try:
            yield
        finally:
            self.depth -= not accelerator
            if accelerator:
                self.accelerator_tests.pop()

    def polarity(self, test: cst.BaseExpression) -> guards.Polarity:
        """``guards.polarity``, except for a flag bound to a function object's truth
        (``cuda = True if torch.cuda.is_available else False``): always true, no guard."""
        if type(test) is cst.Name:
            binding = self._model.lookup(test.value)
            value = binding.value if binding is not None and binding.kind == "assign" else None
            if type(value) is cst.IfExp and guards.uncalled_check(value.test) and \
                    type(value.body) is cst.Name and value.body.value == "True":
                return guards.Polarity.NONE  # True if torch.cuda.is_available else False
            if value is not None and guards.uncalled_check(value):
                return guards.Polarity.NONE  # cuda = torch.cuda.is_available
        return guards.polarity(test)

    def see_module(self, module: cst.Module) -> None:
        self.cuda_library_module = any(imports_cuda_only_package(statement) for statement in module.body)
        self._cuda_only = self.cuda_library_module

    def sets_up_cuda_only_library(self) -> bool:
        """The module's top level calls a CUDA-only library's set-up unconditionally
        (``model, opt = amp.initialize(model, opt)`` after ``from apex import amp``, in any
        cell of a notebook): the module cannot run to its end without CUDA. Read the first
        time a rule asks, from the module's imports (``imported_qualnames``), not the walk's
        bindings, so a call in a later cell counts for the earlier ones too."""
        if self._sets_up_library is None:
            self._sets_up_library = self._finds_cuda_only_setup()
        return self._sets_up_library

    def _finds_cuda_only_setup(self) -> bool:
        model = self._model
        module = model.module
        if module is None:
            return False
        for statement in module.body:
            if type(statement) is not cst.SimpleStatementLine:
                continue
            for small in statement.body:
                value = small.value if type(small) is cst.Expr or type(small) is cst.Assign else None
                if type(value) is not cst.Call or callee_name(value.func) != "initialize":
                    continue  # the cheap test first: most statements call nothing of the kind
                origins = model.imported_qualnames(value.func)
                head = (dotted(value.func) or "").partition(".")[0]
                if origins and origins <= guards.CUDA_ONLY_SETUPS and not model.module_assignment_count(head):
                    # Rare enough to read the whole text for apex's private override.
                    return guards.AMP_OVERRIDE not in module.code
        return False

    def rest_of_block_test(self, statement: cst.BaseStatement) -> cst.BaseExpression | None:
        """The test of an early exit that guards the rest of the block (its ``if``'s or assert's)."""
        if type(statement) is cst.If:
            return statement.test
        if type(statement) is cst.SimpleStatementLine:
            for small in statement.body:
                if type(small) is cst.Assert:
                    return small.test
        return None

    def commits_rest(self, statement: cst.BaseStatement) -> bool:
        """The statement guards the rest of its block only by calling something that raises
        without CUDA (``torch.cuda.set_device(rank)``), not by checking for CUDA."""
        return type(statement) is cst.SimpleStatementLine and all(
            type(small) is not cst.Assert for small in statement.body
        ) and any(self.requires_cuda(small) for small in statement.body)

    def guards_rest_of_block(self, statement: cst.BaseStatement) -> bool:
        """After a CUDA early exit (``if not torch.cuda.is_available(): return``), an assert, a
        call that raises without CUDA, an import of a CUDA-only library or a CUDA
        ``pytestmark``, the rest of the block is guarded."""
        model = self._model
        if type(statement) is cst.If:
            # The exit test is cheap and rarely true: ask it before classifying the condition.
            if statement.orelse is None:
                return guards.ends_in_exit(statement.body) and guards.polarity(statement.test).guards_false_branch
            if type(statement.orelse) is cst.Else:
                return guards.ends_in_exit(statement.orelse.body) and guards.polarity(statement.test).guards_true_branch
            return False
        if type(statement) is cst.SimpleStatementLine:
            if imports_cuda_only_package(statement):
                return True  # ``import tensorrt as trt`` in a branch: what follows is CUDA-only
            for small in statement.body:
                if type(small) is cst.Assert and guards.polarity(small.test).guards_true_branch:
                    return True
                if self.requires_cuda(small):
                    return True
                if (
                    type(small) is cst.Assign
                    and model.scope is model.module_scope
                    and any(type(t.target) is cst.Name and t.target.value == "pytestmark" for t in small.targets)
                    and guards.mentions_cuda(small.value)
                ):
                    return True
                if type(small) is cst.Expr and type(small.value) is cst.Call:
                    # pytest.skip(..., allow_module_level=True) under a condition is an If;
                    # a bare call to a CUDA-requiring skip helper guards what follows.
                    name = callee_name(small.value.func) or ""
                    if "skip" in name.lower() and guards.mentions_cuda(small.value):
                        return True
        return False

    def requires_cuda(self, statement: cst.BaseSmallStatement) -> bool:
        """A statement that raises without CUDA (``torch.cuda.set_device(rank)``,
        ``start = torch.cuda.Event(...)``): code after it in the block runs only with CUDA.
        An unguarded call that picks the process's GPU or NCCL also commits the module."""
        if type(statement) is cst.Expr:
            value: cst.BaseExpression | None = statement.value
        elif type(statement) is cst.Assign or type(statement) is cst.AnnAssign:
            value = statement.value
        else:
            return False
        calls = value.elements if type(value) is cst.Tuple else [value] if value is not None else []
        found = False
        for element in calls:
            call = element.value if isinstance(element, cst.BaseElement) else element
            if type(call) is not cst.Call:
                continue
            qualnames = self._model.qualnames(call.func)
            if not qualnames.isdisjoint(guards.CUDA_REQUIRING_CALLS):
                found = True
                commits = not qualnames.isdisjoint(guards.CUDA_COMMITTING_CALLS)
            elif not qualnames.isdisjoint(guards.PROCESS_GROUP_INITS) and guards.names_nccl_backend(call):
                found = commits = True
            else:
                model = self._model
                if model.answers_rules and not self._cuda_only and not self.active and not model.in_branch:
                    self._note_helper_call(call.func)
                continue
            if commits and not self.active and not self._model.in_branch:
                self._cuda_only = True
        return found

    def by_decorators(self, decorators: Sequence[cst.Decorator]) -> bool:
        """A CUDA skip decorator, written out or through a name (``gpu_only = pytest.mark.skipif(...)``)."""
        for decorator in decorators:
            if guards.is_guard_decorator(decorator):
                return True
            if type(decorator.decorator) is cst.Name:
                binding = self._model.lookup(decorator.decorator.value)
                if binding is not None and binding.value is not None and guards.mentions_cuda(binding.value):
                    return True
        return False


def commits_on_every_return(model: SemanticModel, function: cst.FunctionDef) -> bool:
    """Calling ``function`` returns only with the process committed to CUDA, as ``model``
    (its module's) reads it: before any statement of its body that may return, a statement
    of the body itself either pins the process to a GPU or starts NCCL (``requires_cuda``'s
    committing calls), or checks ``torch.cuda.is_available()`` with a failing branch that
    raises or ends the process (``sys.exit``, ``os._exit``, ``exit``, ``quit``). Unknown,
    so False, for a generator or coroutine (calling it runs nothing) or a decorated function."""
    if function.asynchronous is not None or function.decorators or type(function.body) is not cst.IndentedBlock:
        return False
    parameters = {param.name.value for param in blocks.parameters(function.params)}
    if _contains(function.body, cst.Yield):
        return False
    for statement in function.body.body:
        if type(statement) is cst.SimpleStatementLine:
            for small in statement.body:
                if type(small) is cst.Return:
                    return False
                if _commits_process(model, small, parameters):
                    return True
        elif type(statement) is cst.If and _exits_without_cuda(model, statement, parameters):
            return True
        elif _contains(statement, cst.Return):
            return False
    return False


def _commits_process(model: SemanticModel, statement: cst.BaseSmallStatement, parameters: set[str]) -> bool:
    """``torch.cuda.set_device(...)``, ``dist.init_process_group("nccl", ...)``."""
    value = statement.value if type(statement) is cst.Expr or type(statement) is cst.Assign else None
    if type(value) is not cst.Call or _head(value.func) in parameters:
        return False
    qualnames = model.imported_qualnames(value.func)
    return not qualnames.isdisjoint(guards.CUDA_COMMITTING_CALLS) or (
        not qualnames.isdisjoint(guards.PROCESS_GROUP_INITS) and guards.names_nccl_backend(value)
    )


def _exits_without_cuda(model: SemanticModel, statement: cst.If, parameters: set[str]) -> bool:
    """``if not torch.cuda.is_available(): sys.exit(1)``, or ``if torch.cuda.is_available():
    ... else: raise ...`` (no ``elif``: every other path has CUDA)."""
    test = statement.test
    negated = type(test) is cst.UnaryOperation and type(test.operator) is cst.Not
    check = test.expression if type(test) is cst.UnaryOperation and negated else test
    if type(check) is not cst.Call or check.args or _head(check.func) in parameters or \
            "torch.cuda.is_available" not in model.imported_qualnames(check.func):
        return False
    if negated:
        return statement.orelse is None and _ends_process_or_raises(model, statement.body, parameters)
    return type(statement.orelse) is cst.Else and _ends_process_or_raises(model, statement.orelse.body, parameters)


_PROCESS_EXITS = frozenset({"sys.exit", "os._exit"})
_BUILTIN_EXITS = frozenset({"exit", "quit"})


def _ends_process_or_raises(model: SemanticModel, body: cst.BaseSuite, parameters: set[str]) -> bool:
    """The block's last statement raises or ends the process (never a ``return``: the
    caller would go on without CUDA)."""
    last = guards.last_statement(body)
    if type(last) is cst.Raise:
        return True
    if type(last) is not cst.Expr or type(last.value) is not cst.Call or _head(last.value.func) in parameters:
        return False
    func = last.value.func
    if type(func) is cst.Name and func.value in _BUILTIN_EXITS:
        return model.module_assignment_count(func.value) == 0 and not model.imported_qualnames(func)
    return not model.imported_qualnames(func).isdisjoint(_PROCESS_EXITS)


def _head(expr: cst.BaseExpression) -> str | None:
    while type(expr) is cst.Attribute:
        expr = expr.value
    return expr.value if type(expr) is cst.Name else None


_SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)


def _contains(node: cst.CSTNode, wanted: type[cst.CSTNode]) -> bool:
    """A ``return`` or ``yield`` (``wanted``) of the function itself, not of a nested scope."""
    pending = [node]
    while pending:
        node = pending.pop()
        if type(node) is wanted:
            return True
        if type(node) not in _SCOPES:
            pending.extend(children(node))
    return False


def is_cuda_only_case(call: cst.Call) -> bool:
    """``pytest.param(..., marks=RunIf(min_cuda_gpus=1))``: the case runs only with CUDA."""
    return callee_name(call.func) == "param" and any(
        arg.keyword is not None and arg.keyword.value == "marks" and guards.mentions_cuda(arg.value)
        for arg in call.args
    )


def imports_cuda_only_package(statement: cst.BaseStatement) -> bool:
    """An unconditional top-level ``import tensorrt`` / ``from cuda import cudart``: a module
    built on a CUDA-only library cannot run without CUDA, whatever its devices say."""
    if type(statement) is not cst.SimpleStatementLine:
        return False
    for small in statement.body:
        if type(small) is cst.Import:
            modules = [dotted(alias.name) or "" for alias in small.names]
        elif type(small) is cst.ImportFrom and not small.relative and small.module is not None:
            modules = [dotted(small.module) or ""]
        else:
            continue
        if any(module.partition(".")[0] in guards.CUDA_ONLY_PACKAGES for module in modules):
            return True
    return False


def names_cuda(name: str) -> bool:
    """``test_forward_cuda``, ``forward_cuda``, ``CUDATests``: the name says CUDA or GPU."""
    lowered = name.lower()
    return "cuda" in lowered or "gpu" in lowered


def over_gpus(loop: cst.For) -> bool:
    """``for gpu_id in visible_devices:``, ``for i in range(torch.cuda.device_count()):``: a loop
    over the GPUs runs no iteration without one (the loop's variable or ``range`` bound says so)."""
    if guards.mentions_cuda(loop.target):
        return True
    bound = loop.iter
    return type(bound) is cst.Call and dotted(bound.func) == "range" and any(
        guards.mentions_cuda(arg.value) for arg in bound.args
    )


def cuda_only_by_name(node: cst.FunctionDef | cst.ClassDef, enclosing: cst.ClassDef | None,
                      in_test: bool) -> bool:
    """A function or class that runs only where CUDA is, by what its name says about it. A
    name alone guards nothing (``def cuda_tensor():`` is ordinary code that crashes on a CPU
    machine); it does in two places where the name is a promise the caller keeps:

    - a test named for CUDA (``def test_matmul_cuda``, ``class TestCUDA``, ``class
      CudaTests(unittest.TestCase)``, a method of such a class): test suites skip those
      without a GPU by convention (``in_test``: inside a test function or class);
    - a CUDA-only API: the CUDA variant of something the code also has for other devices,
      picked by its caller: a method named for CUDA beside a sibling that differs only in
      that word (``forward_cuda`` beside ``forward_native`` or ``forward``), or a class
      named for CUDA that is the CUDA variant of its base (``CUDAAccelerator(Accelerator)``).
      ``enclosing``: the class whose body defines a method ``node``.
    """
    name = node.name.value
    if not names_cuda(name):
        return False
    if in_test or is_test_name(node):
        return True
    if type(node) is cst.ClassDef:
        variant_of = _without_cuda_word(name)
        return any(
            (dotted(base.value) or "").rpartition(".")[2] == variant_of for base in node.bases if variant_of
        )
    if enclosing is None:
        return False
    words = name.split("_")
    at = next((i for i, word in enumerate(words) if word.lower() in _CUDA_WORDS), None)
    if at is None:
        return False  # ``cudagraph_step``: the word is not a part of its own
    for statement in enclosing.body.body if type(enclosing.body) is cst.IndentedBlock else ():
        if type(statement) is not cst.FunctionDef or statement is node:
            continue
        other = statement.name.value.split("_")
        if other == words[:at] + words[at + 1:]:
            return True  # forward_cuda beside forward
        if len(other) == len(words) and other[:at] + other[at + 1:] == words[:at] + words[at + 1:] \
                and other[at].lower() not in _CUDA_WORDS:
            return True  # forward_cuda beside forward_cpu, forward_native
    return False


def is_test_name(node: cst.FunctionDef | cst.ClassDef) -> bool:
    """What pytest and unittest collect: ``test*`` functions, ``Test*`` classes, and
    subclasses of a ``...TestCase``."""
    name = node.name.value
    if isinstance(node, cst.FunctionDef):
        return name.startswith("test")
    return name.startswith("Test") or any(
        (dotted(base.value) or "").endswith("TestCase") for base in node.bases
    )


_CUDA_WORDS = frozenset({"cuda", "gpu"})


def _without_cuda_word(name: str) -> str:
    """``CUDAAccelerator`` -> ``Accelerator``, ``BoringModelGPU`` -> ``BoringModel``."""
    for word in ("CUDA", "Cuda", "GPU", "Gpu"):
        if word in name:
            return name.replace(word, "", 1)
    return ""


def is_cpu_literal(expr: cst.BaseExpression) -> bool:
    if (string_value(expr) or "").lower() == "cpu":
        return True
    if type(expr) is cst.Call and expr.args:
        return (string_value(expr.args[0].value) or "").lower() == "cpu"
    return False


class CudaChoice(NamedTuple):
    """A device picked by CUDA's availability (see ``cuda_when_available``)."""

    on_cuda: cst.BaseExpression  # the device picked where CUDA is there
    otherwise: cst.BaseExpression  # the device picked where it is not
    as_device: bool  # wrapped in ``torch.device(...)``


def cuda_when_available(model: SemanticModel, value: cst.BaseExpression) -> CudaChoice | None:
    """``A if torch.cuda.is_available() else B`` (or ``B if not torch.cuda.is_available() else
    A``), bare or as the one positional argument of ``torch.device(...)``: a choice that
    picks ``A`` on exactly the machines that have CUDA. Any other test (a flag, ``args.cuda``,
    ``get_worker_info() is None``, a ``torch.accelerator`` check) is no such choice: it may
    pick either device wherever CUDA is."""
    as_device = False
    if type(value) is cst.Call and model.resolves_to(value.func, "torch.device"):
        if len(value.args) != 1 or value.args[0].keyword is not None or value.args[0].star:
            return None
        value, as_device = value.args[0].value, True
    if type(value) is not cst.IfExp:
        return None
    test, negated = value.test, False
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        test, negated = test.expression, True
    if type(test) is not cst.Call or test.args or not model.resolves_to(test.func, "torch.cuda.is_available"):
        return None
    if negated:
        return CudaChoice(value.orelse, value.body, as_device)
    return CudaChoice(value.body, value.orelse, as_device)
