"""The semantic model, built during the engine's one walk and queried by the rules.

The model takes over the traversal of the nodes that open a scope, split the flow, bind a
name or change the context (a CUDA guard, a method that implements ``cuda``). Rules see the
state as it is at the node they visit: the bindings that reach it, the guards around it.

This module keeps scope and flow: bindings, branches that join, loops, ``try``, ``match``,
functions and classes. What rides along the walk has its own module: CUDA guards
(``cuda_guards``), grad mode (``grad_mode``), values (``evaluate``), the block scanners
(``blocks``), appended lists (``lists``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import libcst as cst

from . import array_sources, context_managers, grad_mode, guards, read_only, returns
from .attributes import AttributeFacts, ClassFacts, OutsideWrites
from .blocks import (
    argument_map,
    assignment_counts,
    captured_names,
    parameters,
    rebound_in_place,
    self_assignment_counts,
    walrus_targets,
)
from .call_contexts import CallContexts
from .call_sites import CallSites
from .cuda_guards import (
    CudaGuards,
    cuda_only_by_name,
    is_cpu_literal,
    is_cuda_only_case,
    is_test_name,
    over_gpus,
)
from .evaluate import Evaluator
from .grad_mode import GradMode
from .lists import ListContents
from .loops import SampleLoop, is_one_sample, sample_loop, sample_parts
from .memo import NO_MEMO, SubtreeMemo
from .names import (
    bound_name,
    dotted,
    imported_name,
    self_attribute,
)
from .project_index import FileImports, TextFacts, import_counts, import_reference
from .scope import Binding, Scope, rebind
from .summaries import Arguments, Summaries, open_result
from .tree import TEXT_LEAVES, walk_children
from .values import UNKNOWN, Kind, Value

Walk = Callable[[cst.CSTNode], None]

# Methods whose body implements the API, and forwards to the real call.
API_METHODS = frozenset({"cuda", "to", "cpu", "numpy", "_apply", "to_empty"})

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)


_TRAVERSED: dict[type, tuple[tuple[type, str], ...]] = {}


def _traversed(model_class: type) -> tuple[tuple[type, str], ...]:
    """The node types the model walks itself, with the method that does (read once per
    class: ``dir`` of the model is a few hundred names, and every check and summary asked)."""
    found = _TRAVERSED.get(model_class)
    if found is None:
        pairs = [
            (getattr(cst, attr[len("traverse_"):]), attr) for attr in dir(model_class) if attr.startswith("traverse_")
        ]
        found = _TRAVERSED[model_class] = (*pairs, *((kind, "_traverse_comprehension") for kind in _COMPREHENSIONS))
    return found


class SemanticModel:
    def __init__(self) -> None:
        self.walk: Walk = lambda node: None
        self.module_scope = Scope("module", None, None)
        self.scope = self.module_scope
        self.imports_torch = False
        self.cuda_guards = CudaGuards(self)
        self.grad_mode = GradMode(self)
        self.lists = ListContents()  # what each list built by ``.append`` holds
        self._functions: list[cst.FunctionDef] = []
        self._classes: list[cst.ClassDef] = []
        self._hoisted_imports: dict[str, Binding] = {}
        # id(attribute) -> (the attribute, its head's qualnames, its qualnames): ``qualnames``
        # of an attribute chain, asked by several rules of every call, built once per head.
        self._attribute_qualnames: dict[int, tuple[cst.BaseExpression, frozenset[str], frozenset[str]]] = {}
        # Values are followed only when a rule asks (the engine sets this); names always are.
        self.track_values = False
        self.evaluator = Evaluator(self)
        self._conditional_depth = 0  # inside an if/while/try branch (not ``if __name__ == ...``)
        # Whole-file facts that make some values unknown (set from the source text).
        self.freezes_parameters = False  # ``requires_grad = False`` somewhere: outputs may not need grad
        self.sets_default_device = False  # ``torch.set_default_device``: factories may not be on the CPU
        self.sets_default_dtype = False  # ``torch.set_default_dtype``: a Python float may not become float32
        self._class_facts_stack: list[ClassFacts] = []  # per class being walked
        self._class_attributes: dict[int, dict[str, AttributeFacts]] = {}  # per class walked
        self._outside_writes: OutsideWrites | None = None  # attribute writes not through a method's self
        self._returns: list[list[Value]] = []  # per function being walked
        self._sample_loops: list[SampleLoop] = []  # the per-sample loops around this point
        # Per loop being walked: the bindings at each ``break`` and ``continue`` in it.
        self._loop_exits: list[list[tuple[str, dict[str, Binding]]]] = []
        self._module_assignments: dict[str, int] = {}  # how often the module body binds each name
        self.module: cst.Module | None = None
        self.summaries = Summaries(self, type(self).for_summary)  # what the module's functions and methods return
        self.call_contexts = CallContexts(self)  # the grad mode the module calls each function in
        self.may_turn_grad_off = True  # the text names a grad-off context (the engine checks)
        self.may_use_walrus = True  # the text has ``:=`` (the engine checks): loop heads look for its targets
        self._last_returns: list[Value] = []  # the returns of the function walked last
        self.last_class_writes: dict[str, Value] = {}  # what the method walked last stores in self
        self.top_statement: cst.BaseStatement | None = None  # the module-level statement being walked
        self.project: FileImports | None = None  # the project's other modules, when the file is in one
        self._import_counts: dict[str, int] | None = None  # how often the module body imports each name
        self._summary_models: list[SemanticModel] = []  # the models ``for_summary`` made for this one
        # id(FunctionDef) -> what one call passes to its parameters (a summary's walk for that call)
        self.argument_facts: dict[int, dict[str, Value]] = {}
        # Where pure scans of unchanged subtrees are kept between the server's checks (``memo``).
        self.memo: SubtreeMemo = NO_MEMO
        # What private helpers' callers pass (``call_sites``): the checked file's model only.
        self.call_sites: CallSites | None = CallSites(self)
        # id(ListComp) -> what each item is, where a rule asked (``comprehensions``)
        self.comprehension_items: dict[int, Value] = {}

    # ----------------------------------------------------------------- queries

    @property
    def answers_rules(self) -> bool:
        """The checked file's own model, not one that only values a summary's walk or hosts
        another module's functions (those have no ``call_sites``)."""
        return self.call_sites is not None

    @property
    def in_cuda_guard(self) -> bool:
        """Inside code that runs only when CUDA is there, or when the user chose the GPU."""
        return self.cuda_guards.active

    @property
    def in_cuda_check(self) -> bool:
        """Inside a guard that checks for CUDA or names it (a condition, a skip decorator, a
        function named for CUDA), not only after a call that commits the code to CUDA."""
        return self.cuda_guards.depth > self.cuda_guards.committed

    @property
    def accelerator_guard(self) -> cst.BaseExpression | None:
        """The innermost accelerator-only check around this point (``if
        torch.accelerator.is_available():``), where no CUDA guard is: true on MPS and XPU."""
        tests = self.cuda_guards.accelerator_tests
        return tests[-1] if tests and not self.in_cuda_guard else None

    @property
    def imports_cuda_library(self) -> bool:
        """The module imports a library that needs CUDA (TensorRT, pycuda, CuPy...) or sets
        one up unconditionally (apex's ``amp.initialize``)."""
        return self.cuda_guards.cuda_library_module or self.cuda_guards.sets_up_cuda_only_library()

    @property
    def cuda_only_module(self) -> bool:
        """The module cannot run without CUDA anyway (it imports TensorRT, or pins its process
        to a GPU unguarded, or sets up apex's amp)."""
        return self.cuda_guards.cuda_only_module or self.cuda_guards.sets_up_cuda_only_library()

    @property
    def in_no_grad(self) -> bool:
        """Inside ``torch.no_grad()`` / ``inference_mode()``, as a block or a decorator, or a
        hook that a framework runs without grad (Lightning's ``validation_step``)."""
        return self.grad_mode.in_no_grad

    @property
    def grad_mode_unknown(self) -> bool:
        """Grad may be on or off here (``with torch.set_grad_enabled(train):``)."""
        return self.grad_mode.undecided

    def requires_grad_here(self, value: Value) -> bool:
        """The value is a tensor proven to require grad, and grad is on at this point."""
        return self.grad_mode.requires_grad_here(value)

    @property
    def in_branch(self) -> bool:
        """Inside an ``if``/``while``/``try`` branch (not ``if __name__ == "__main__":``)."""
        return self._conditional_depth > 0

    def value_of(self, expr: cst.BaseExpression) -> Value:
        """What ``expr`` is at this point: kind, layout, grad, placement (often unknown). A
        rule's question left open inside a private helper asks the helper's callers
        (``call_sites``); the model's own flow uses ``evaluator.value``."""
        value = self.evaluator.value(expr)
        if self.call_sites is not None and self._functions and open_result(value):
            return self.call_sites.refine(expr, value)
        return value

    @property
    def enclosing_functions(self) -> tuple[cst.FunctionDef, ...]:
        """The functions being walked, the outermost first."""
        return tuple(self._functions)

    def walk_module_prefix(self, last: int) -> None:
        """A values-only walk of the module's statements from the first to the one at index
        ``last``, from an empty module scope (``call_sites``)."""
        if self.module is not None:
            self.module_scope.bindings = {}
            self._walk_block(self.module.body[: last + 1])

    def one_sample(self, expr: cst.BaseExpression) -> SampleLoop | None:
        """The per-sample loop (or comprehension) in which ``expr`` holds one sample, if any."""
        for loop in reversed(self._sample_loops):
            if is_one_sample(loop, expr):
                return loop
        return None

    def placement_of(self, expr: cst.BaseExpression) -> bool | None:
        """Where a device expression points: True an accelerator, False the CPU, None unknown.
        Like ``value_of``, a question left open inside a private helper asks its callers (a
        ``device`` parameter that every call passes as ``"cpu"`` points to the CPU)."""
        placement = self.evaluator.placement(expr)
        if placement is not None or self.call_sites is None or not self._functions:
            return placement
        value = self.value_of(expr)
        return value.on_device if value.kind is Kind.DEVICE else None

    def self_attribute(self, name: str) -> Value:
        """``self.<name>`` inside a class, when every assignment to it agrees (``attributes``
        says which writes count). A read before a later method's write asks for the whole
        class's facts (``summaries``)."""
        if not self._class_facts_stack or not self._functions:
            return UNKNOWN
        facts = self._class_facts_stack[-1]
        if facts.complete(name):
            return facts.attribute(name)
        if facts.written_outside(name):
            return UNKNOWN
        return self.summaries.attribute(self._classes[-1], name)

    def self_attribute_writes(self, name: str) -> tuple[cst.CSTNode, ...] | None:
        """The statements that write ``self.<name>`` in the class the walk is in, when every
        write of the class has been walked and nothing outside its methods writes the name
        (``attributes``); None otherwise."""
        if not self._class_facts_stack or not self._functions:
            return None
        facts = self._class_facts_stack[-1]
        if not facts.complete(name) or facts.written_outside(name) or name not in facts.writes:
            return None
        return tuple(facts.writes[name])

    def class_attributes(self, cls: cst.ClassDef) -> dict[str, AttributeFacts]:
        """For a class the walk has left (a rule's ``leave_ClassDef`` on): each ``self.<name>``
        whose every write the model follows, with the joined value and the write statements.
        An attribute that is missing, or whose value is unknown, is not known."""
        return self._class_attributes.get(id(cls), {})

    def instance_attribute(self, instance: cst.BaseExpression, name: str) -> Value:
        """``ds.frames`` where ``ds = Frames(...)``, a module-level class of this file: what
        the class's methods store in ``self.frames`` (``class_attributes``)."""
        if type(instance) is not cst.Name:
            return UNKNOWN
        binding = self.lookup(instance.value)
        if binding is None or binding.kind != "assign" or type(binding.value) is not cst.Call:
            return UNKNOWN
        if (self.scope is not self.module_scope and self.module_scope.bindings.get(instance.value) is binding
                and self.module_assignment_count(instance.value) > 1):
            return UNKNOWN  # a function runs when called: the module may have rebound the name by then
        func = binding.value.func
        made = self.lookup(func.value) if type(func) is cst.Name else None
        if made is None or made.kind != "class" or type(made.node) is not cst.ClassDef:
            return UNKNOWN
        if not self.summaries.is_top_level(made.node):
            return UNKNOWN
        found = self.class_attributes(made.node).get(name)
        return found.value if found is not None else UNKNOWN

    def attributes_written_outside(self, cls: cst.ClassDef) -> frozenset[str] | None:
        """The attribute names of ``cls`` that code other than its own methods writes (None:
        any name may be; ``attributes.OutsideWrites``)."""
        outside = self._module_outside_writes()
        return outside.of(cls) if outside is not None else None

    def related_classes(self, cls: cst.ClassDef) -> frozenset[str]:
        """The names of the module's classes that ``cls`` derives from or that derive from it."""
        outside = self._module_outside_writes()
        return frozenset(outside.related(cls.name.value)) if outside is not None else frozenset()

    def _module_outside_writes(self) -> OutsideWrites | None:
        """The module's attribute writes not through a method's ``self``: one object per check,
        shared with the summaries' walks, which scans the module only when first asked."""
        if self._outside_writes is None and self.module is not None:
            self._outside_writes = OutsideWrites(self.module, self.memo)
        return self._outside_writes

    def _new_class_facts(self, node: cst.ClassDef) -> ClassFacts:
        outside = self._module_outside_writes()
        if not self.track_values:
            return ClassFacts({})
        total, class_names = self.summaries.class_counts(node)
        return ClassFacts(total, node, class_names, outside)

    def returned_by(self, func: cst.BaseExpression, call: cst.Call | None = None) -> Value | None:
        """What calling ``func`` gives when it is a function or a method of this module
        (``load(p)``, ``self._params(n)``): its return summary as seen here, for the
        arguments of ``call`` when given; None when ``func`` is not one (``summaries`` says
        where summaries stop)."""
        target = self._called_function(func)
        if target is None:
            made = self._called_top_level(func)
            if type(made) is cst.ClassDef:
                return self.instance_of(made)  # a class the walk has not reached yet
            return self._imported_returned(func)
        function, owner = target
        plain = self.summaries.returned(function, owner)
        if call is None or not call.args or not open_result(plain):
            return plain
        arguments = self._arguments(function, owner, call)  # evaluated only where they may settle it
        return self.summaries.returned_for(function, owner, plain, arguments) if arguments else plain

    def _arguments(self, function: cst.FunctionDef, owner: cst.ClassDef | None, call: cst.Call) -> Arguments:
        """The known values ``call`` passes, by the parameter that receives each (a method's
        ``self`` skipped); nothing when a starred argument makes the positions unknown."""
        static = any(dotted(d.decorator) == "staticmethod" for d in function.decorators)
        found = argument_map(function, call, method=owner is not None and not static)
        if found is None:
            return ()
        values = ((name, self.evaluator.value(expr)) for name, expr in found.items())
        return tuple(sorted(((name, value) for name, value in values if value.kind is not Kind.UNKNOWN),
                            key=lambda item: item[0]))

    def _imported_returned(self, func: cst.BaseExpression) -> Value | None:
        """What calling a function imported from another module of the project gives
        (``load(p)`` after ``from .data import load``, ``io.load(p)`` after ``import pkg.io as
        io``), through the project index; None when ``func`` names no such import."""
        reference = self.imported_reference(func)
        if reference is None or self.project is None:
            return None
        value = self.project.returned(reference, self)
        if value is None or value.kind is Kind.UNKNOWN:
            return value
        # The other module's nodes mean nothing here: the call is where the value came from.
        result = value.result.but(evidence=None) if value.result is not None else None
        return value.but(evidence=func if value.evidence is not None else None, result=result)

    def imported_reference(self, func: cst.BaseExpression) -> str | None:
        """The project reference (``.data.load``, ``pkg.io.load``) of a function that ``func``
        names through an import of this module, for the project index; None when it names none."""
        path = dotted(func) if self.project is not None else None
        if path is None:
            return None
        head, _, rest = path.partition(".")
        binding = self.lookup(head)
        if binding is None or binding.kind != "import":
            return None
        module_level = binding is self.module_scope.bindings.get(head) or binding is self._hoisted_imports.get(head)
        if self.scope is not self.module_scope and module_level and (
            self.module_assignment_count(head) or self._module_import_count(head) != 1
        ):
            return None  # a function runs later: the module may have bound the name again
        origins = binding.qualnames | binding.origins
        if len(origins) != 1:
            return None
        origin = next(iter(origins))
        return f"{origin}.{rest}" if rest else origin

    def called_top_level_function(self, func: cst.BaseExpression) -> cst.FunctionDef | None:
        """The module-level ``def`` a plain name calls, when the model can tell."""
        node = self._called_top_level(func)
        return node if type(node) is cst.FunctionDef else None

    def _module_import_count(self, name: str) -> int:
        if self._import_counts is None:
            self._import_counts = import_counts(self.module) if self.module is not None else {}
        return self._import_counts.get(name, 0)

    def _called_top_level(self, func: cst.BaseExpression) -> cst.CSTNode | None:
        """The module-level ``def`` or ``class`` a plain name calls, when the model can tell."""
        if type(func) is not cst.Name:
            return None
        binding = self.lookup(func.value)
        if binding is None:
            # A function body may call a module-level function (or class) defined later in the file.
            node = self.summaries.top_level(func.value) if self.scope is not self.module_scope else None
        elif binding.kind == "def" and (
            self.scope is self.module_scope or self.module_assignment_count(func.value) <= 1
        ):
            node = binding.node
        else:
            return None
        return node if node is not None and self.summaries.is_top_level(node) else None

    def _called_function(self, func: cst.BaseExpression) -> tuple[cst.FunctionDef, cst.ClassDef | None] | None:
        if type(func) is cst.Name:
            node = self._called_top_level(func)
            return (node, None) if type(node) is cst.FunctionDef else None
        if type(func) is cst.Attribute and type(func.value) is cst.Name:
            owner = self._self_class(func.value.value)
            if owner is not None:
                method = self.summaries.method(owner, func.attr.value)
                if method is not None:
                    return method, owner
        return None

    def instance_class(self, name: str) -> cst.ClassDef | None:
        """The module-level class whose instance ``name`` is here: the first parameter of the
        method being walked (``self``), never rebound."""
        return self._self_class(name)

    def _self_class(self, name: str) -> cst.ClassDef | None:
        """The module-level class whose instance ``name`` is: the first parameter of the
        method being walked, never rebound (not in a nested function or a static method)."""
        scope: Scope | None = self.scope
        while scope is not None and scope.kind in ("comprehension", "lambda"):
            scope = scope.parent
        if scope is None or scope.kind != "function" or scope.parent is None or scope.parent.kind != "class":
            return None
        function, owner = scope.node, scope.parent.node
        if type(function) is not cst.FunctionDef or type(owner) is not cst.ClassDef:
            return None
        if any(self.grad_mode.of(d.decorator) is None for d in function.decorators):
            return None  # a static or class method's first parameter is no instance
        first = function.params.posonly_params[:1] or function.params.params[:1]
        binding = self.lookup(name)
        if not first or first[0].name.value != name or binding is None or binding.node is not first[0]:
            return None
        return owner if binding.kind == "param" else None

    def close(self) -> None:
        """Breaks the reference cycles of a model whose check is done (its parts and the
        models of its summaries point back at it), so that reference counting frees it, and
        the tree it holds, at once: the engine turns the cyclic collector off during a check,
        and would otherwise have it scan every node of the tree once it is back on."""
        for child in self._summary_models:
            child.close()
        for part in (self.cuda_guards, self.grad_mode, self.evaluator, self.summaries, self.call_contexts):
            vars(part).clear()
        vars(self).clear()

    @classmethod
    def for_summary(cls, parent: SemanticModel, summaries: Summaries) -> SemanticModel:
        """A values-only model that walks one function of ``parent``'s module: it sees the
        module's imports and the module-level bindings made so far, and shares the summaries."""
        child = cls()
        child.track_values = True
        child.freezes_parameters = parent.freezes_parameters
        child.sets_default_device = parent.sets_default_device
        child.sets_default_dtype = parent.sets_default_dtype
        child.module = parent.module
        child._module_assignments = parent._module_counts()
        child._hoisted_imports = parent._hoisted_imports
        child.module_scope.bindings = dict(parent.module_scope.bindings)
        child._outside_writes = parent._outside_writes
        child.summaries = summaries
        child.project = parent.project
        child._import_counts = parent._import_counts
        child.may_turn_grad_off = False  # the summary's walk takes the grad mode of the call
        child.may_use_walrus = parent.may_use_walrus
        child.call_sites = None  # a summary's walk answers no rule
        parent._summary_models.append(child)
        table = child.traversals()
        leaves = TEXT_LEAVES.difference(table)  # no children to descend into (a name, a number...)

        def walk(node: cst.CSTNode) -> None:
            traverse = table.get(type(node))
            if traverse is not None:
                traverse(node)
            elif type(node) not in leaves:
                walk_children(node, walk)

        child.walk = walk
        return child

    @classmethod
    def for_module(cls, module: cst.Module, facts: TextFacts, project: FileImports) -> SemanticModel:
        """A values-only model of another module of the project, whose functions' summaries
        a file that imports them asks for: it sees the module's imports (its unconditional
        top-level ones, relative ones too), not its other module-level bindings."""
        model = cls()
        model.track_values = True
        model.module = module
        model.freezes_parameters = facts.freezes_parameters
        model.sets_default_device = facts.sets_default_device
        model.sets_default_dtype = facts.sets_default_dtype
        model.may_turn_grad_off = False
        model.call_sites = None  # a host of summaries answers no rule
        model.project = project
        model._module_assignments = assignment_counts(module)
        model._hoist_imports(module.body)
        for statement in module.body:
            if type(statement) is cst.SimpleStatementLine:
                for small in statement.body:
                    if type(small) is cst.Import:
                        model.traverse_Import(small)
                    elif type(small) is cst.ImportFrom:
                        model.traverse_ImportFrom(small)
        return model

    def returns_of(self, function: cst.FunctionDef, owner: cst.ClassDef | None) -> list[Value]:
        """Walk ``function`` (a method of ``owner`` when given) and give the value of each of
        its ``return`` statements."""
        self._last_returns = []
        if owner is None:
            self.walk(function)
            return self._last_returns
        with self._scope("class", owner):
            self._classes.append(owner)
            self._class_facts_stack.append(self._new_class_facts(owner))
            try:
                self.walk(function)
            finally:
                self._classes.pop()
                facts = self._class_facts_stack.pop()
        # What the method stores in self: each name whose every write in it was walked.
        written = self_assignment_counts(function.body)
        self.last_class_writes = {
            name: value for name, value in facts.attributes.items() if facts.seen.get(name) == written.get(name)
        }
        return self._last_returns

    @property
    def function(self) -> cst.FunctionDef | None:
        return self._functions[-1] if self._functions else None

    @property
    def enclosing_class(self) -> cst.ClassDef | None:
        return self._classes[-1] if self._classes else None

    def is_module_class(self, node: cst.ClassDef, depth: int = 0) -> bool:
        """The class is an ``nn.Module``: a base in ``torch.nn`` (or Lightning's module), or a
        class of this file that is one. An imported base of its own is not known to be."""
        for base in node.bases:
            qualnames = self.qualnames(base.value)
            if any(q.startswith("torch.nn.") or q.endswith(".LightningModule") for q in qualnames):
                return True
            binding = self.lookup(base.value.value) if type(base.value) is cst.Name else None
            if (binding is not None and binding.kind == "class" and type(binding.node) is cst.ClassDef
                    and depth < 8 and self.is_module_class(binding.node, depth + 1)):
                return True
        return False

    @property
    def in_api_implementation(self) -> bool:
        """Inside ``def cuda(self, ...)``, ``def to(self, ...)``... of a class."""
        return any(
            f.name.value in API_METHODS and self._is_method(f) for f in self._functions
        )

    def lookup(self, name: str) -> Binding | None:
        """The binding of ``name`` that reaches the current point, by Python's scope rules."""
        scope: Scope | None = self.scope
        first = True
        while scope is not None:
            if name in scope.global_names:
                scope = self.module_scope
            elif scope.kind == "class" and not first:
                scope = scope.parent  # class bodies are not visible to nested functions
                continue
            binding = scope.bindings.get(name)
            if binding is not None:
                return binding
            if scope is self.module_scope:
                break
            scope, first = scope.parent, False
        # A function body may use a module-level import that comes later in the file.
        return self._hoisted_imports.get(name) if self.scope is not self.module_scope else None

    def qualnames(self, expr: cst.BaseExpression) -> frozenset[str]:
        """The known objects ``expr`` names: ``th.cuda.is_available`` -> {'torch.cuda.is_available'}."""
        # Asked of most calls by several rules: the dotted path is built only when its head
        # names something known (most heads are local names).
        head = expr
        while type(head) is cst.Attribute:
            head = head.value
        if type(head) is not cst.Name:
            return frozenset()
        binding = self.lookup(head.value)
        if binding is None or not binding.qualnames:
            return frozenset()
        if head is expr:
            return binding.qualnames
        # The answer depends only on the chain and the head's qualnames: kept while both are
        # the same objects (the entry holds them, so neither id can be reused meanwhile).
        known = self._attribute_qualnames.get(id(expr))
        if known is not None and known[0] is expr and known[1] is binding.qualnames:
            return known[2]
        rest = (dotted(expr) or "").partition(".")[2]
        found = frozenset(f"{q}.{rest}" for q in binding.qualnames)
        self._attribute_qualnames[id(expr)] = (expr, binding.qualnames, found)
        return found

    def imported_qualnames(self, expr: cst.BaseExpression) -> frozenset[str]:
        """Like ``qualnames``, through the module's imports alone (wherever they are in its
        body): for scans that read the module before the walk reaches a point."""
        path = dotted(expr)
        if path is None:
            return frozenset()
        head, _, rest = path.partition(".")
        binding = self._hoisted_imports.get(head)
        if binding is None or not binding.qualnames:
            return frozenset()
        return binding.qualnames if not rest else frozenset(f"{q}.{rest}" for q in binding.qualnames)

    def resolves_to(self, expr: cst.BaseExpression, *qualnames: str) -> bool:
        return not self.qualnames(expr).isdisjoint(qualnames)

    def resolves_into(self, expr: cst.BaseExpression, package: str) -> bool:
        """``expr`` names something inside ``package`` (``torch.zeros`` is inside ``torch``)."""
        prefix = package + "."
        return any(q == package or q.startswith(prefix) for q in self.qualnames(expr))

    # --------------------------------------------------------------- contexts

    @contextmanager
    def _scope(self, kind: str, node: cst.CSTNode) -> Iterator[Scope]:
        outer = self.scope
        self.scope = Scope(kind, node, outer)
        try:
            yield self.scope
        finally:
            self.scope = outer

    @contextmanager
    def comprehension_scope(self, node: cst.ListComp, bound: dict[str, Value]) -> Iterator[Scope]:
        """A scope for valuing ``node``'s item from outside its walk, its variables bound to
        ``bound`` (``comprehensions``)."""
        with self._scope("comprehension", node) as scope:
            for name, facts in bound.items():
                scope.bindings[name] = Binding(name=name, kind="loop", node=node, facts=facts)
            yield scope

    def _is_method(self, function: cst.FunctionDef) -> bool:
        return bool(self._classes) and bool(function.params.params)

    # ---------------------------------------------------------------- binding

    def bind(self, name: str, kind: str, node: cst.CSTNode | None = None, **facts: Any) -> None:
        scope = self.scope
        while scope.kind == "comprehension" and kind == "walrus":
            scope = scope.parent  # type: ignore[assignment]  # a comprehension's scope always has a parent
        if name in scope.global_names:
            scope = self.module_scope
            # A function's write to a global happens when (and if) it is called: unknown.
            facts["facts"] = UNKNOWN
        elif name in scope.nonlocal_names:
            # The same for an enclosing function's variable: its value is unknown from here on.
            enclosing = scope.parent
            while enclosing is not None and name not in enclosing.bindings:
                enclosing = enclosing.parent
            if enclosing is not None and enclosing is not self.module_scope:
                enclosing.bindings[name] = rebind(enclosing.bindings[name], facts=UNKNOWN)
            facts["facts"] = UNKNOWN
        scope.bindings[name] = Binding(
            name=name, kind=kind, node=node, guarded=self.in_cuda_guard, **facts
        )

    def module_bound_names(self) -> set[str]:
        """Every name the module's body binds, anywhere in it (not in functions or classes)."""
        return set(self._module_counts()) | set(self._hoisted_imports)

    def module_imports(self, name: str) -> bool:
        """The module's body imports ``name`` somewhere."""
        return name in self._hoisted_imports

    def module_assignment_count(self, name: str) -> int:
        """How many statements of the module's body bind ``name`` (imports not counted)."""
        return self._module_counts().get(name, 0)

    def module_assignment_counts(self) -> dict[str, int]:
        """How many statements of the module's body bind each name (defs and classes too)."""
        return self._module_counts()

    def _module_counts(self) -> dict[str, int]:
        if not self._module_assignments and self.module is not None:
            self._module_assignments = assignment_counts(self.module)
        return self._module_assignments

    def outer_facts(self, name: str, binding: Binding) -> Value:
        """What a function body may assume about a module-level name: a function runs when it
        is called, so a name the module binds more than once is unknown inside it."""
        if self.scope is self.module_scope or self.module_scope.bindings.get(name) is not binding:
            return binding.facts
        return binding.facts if self._module_assignments.get(name, 0) <= 1 else UNKNOWN

    def bind_target(self, target: cst.BaseExpression, kind: str, node: cst.CSTNode,
                    value: cst.BaseExpression | None = None, facts: Value | None = None) -> None:
        """Bind the names in an assignment target; walk the expressions it only reads."""
        if type(target) is cst.Name:
            qualnames = self.qualnames(value) if value is not None else frozenset()
            if type(value) is cst.IfExp:
                # ``Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor``: either
                # one, when both are known (an unknown branch may be anything)
                body, orelse = self.qualnames(value.body), self.qualnames(value.orelse)
                qualnames = body | orelse if body and orelse else frozenset()
            if facts is None:
                facts = self.evaluator.value(value) if self.track_values and value is not None else UNKNOWN
            self.bind(target.value, kind, node, value=value, qualnames=qualnames, facts=facts)
            if self._sample_loops and value is not None:
                self._mark_sample(target.value, value)
        elif type(target) is cst.Tuple or type(target) is cst.List:
            # a, b = x, y: element by element when the shapes match, else unknown.
            values: list[cst.BaseExpression | None] = [None] * len(target.elements)
            if (type(value) is cst.Tuple or type(value) is cst.List) and len(value.elements) == len(target.elements) and not any(
                type(e) is cst.StarredElement for e in (*value.elements, *target.elements)
            ):
                values = [e.value for e in value.elements]
            # a, b = b, a: every right-hand side is evaluated before any name is rebound
            evaluated = [self.evaluator.value(v) if self.track_values and v is not None else UNKNOWN for v in values]
            if facts is None and value is not None and values[0] is None and self.track_values:
                evaluated = self._unpacked(target, value) or evaluated
            for element, element_value, facts in zip(target.elements, values, evaluated):
                self.bind_target(element.value, kind, node, element_value, facts)
        elif self.track_values and self_attribute(target) is not None and self._class_facts_stack and self._functions:
            assert type(target) is cst.Attribute  # self_attribute said so (mypy)
            self.walk(target)
            self._class_facts_stack[-1].assign(
                target.attr.value, self.evaluator.value(value) if value is not None else UNKNOWN, node)
        elif type(target) is cst.StarredElement:
            self.bind_target(target.value, kind, node)
        else:  # attribute or subscript: its parts are reads
            self.walk(target)

    def _unpacked(self, target: cst.Tuple | cst.List, value: cst.BaseExpression) -> list[Value] | None:
        """``values, vectors = torch.linalg.eigh(x)``, ``image, hist = f()``: each name gets its
        position of a tuple whose positions the model knows, else the element of a tuple or list
        whose elements it knows (a starred target takes a list: left unknown). A list held in a
        name may have been appended to since: the flow does not follow that."""
        if not target.elements or any(type(e) is cst.StarredElement for e in target.elements):
            return None
        whole = self.evaluator.value(value)
        if whole.kind is Kind.TUPLE and whole.items is not None:
            return list(whole.items) if len(whole.items) == len(target.elements) else None
        if whole.kind is Kind.LIST and type(value) is cst.Name:
            return None
        if whole.kind not in (Kind.TUPLE, Kind.LIST) or whole.result is None:
            return None
        return [whole.result] * len(target.elements)

    def _bind_element(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> None:
        """``for x in xs``: ``x`` is an element of ``xs`` when the model knows what those are."""
        if not self.track_values:
            return
        if (type(target) is cst.Tuple or type(target) is cst.List) and type(iterable) is cst.Call:
            # zip(xs, ys) -> (x, y); enumerate(xs) -> (i, x)
            callee = dotted(iterable.func)
            parts = [a.value for a in iterable.args if a.keyword is None and not a.star]
            if callee == "enumerate" and len(parts) == 1 and len(target.elements) == 2:
                self._bind_element(target.elements[1].value, parts[0])
            elif callee == "zip" and len(parts) == len(target.elements):
                for element, part in zip(target.elements, parts):
                    self._bind_element(element.value, part)
            return
        if type(target) is not cst.Name:
            return
        each = self.evaluator.element_of(iterable)
        if each.kind is not Kind.UNKNOWN:
            binding = self.scope.bindings.get(target.value)
            if binding is not None:
                self.scope.bindings[target.value] = rebind(binding, facts=each)

    def _mark_sample(self, name: str, value: cst.BaseExpression) -> None:
        """A name assigned from a sample holds one; reassigned from anything else, it does not."""
        for loop in self._sample_loops:
            if is_one_sample(loop, value):
                loop.names.add(name)
            else:
                loop.names.discard(name)

    def _bind_import(self, alias: cst.ImportAlias, module: str | None, into: dict[str, Binding] | None = None) -> None:
        found = imported_name(alias, module)
        if found is None:
            return
        local, qualname = found
        root = qualname.split(".")[0] if qualname else ""
        if root == "torch":
            self.imports_torch = True
        binding = Binding(
            name=local, kind="import", node=alias, qualnames=frozenset({qualname}),
            guarded=self.in_cuda_guard,
        )
        if into is not None:
            into[local] = binding.join(into.get(local))
        else:
            self.scope.bindings[local] = binding

    # -------------------------------------------------------------- traversal

    def traversals(self) -> dict[type, Callable[[Any], None]]:
        return {node_type: getattr(self, method) for node_type, method in _traversed(type(self))}

    def _walk_all(self, nodes: Sequence[cst.CSTNode | None]) -> None:
        for node in nodes:
            if node is not None:
                self.walk(node)

    def traverse_Module(self, node: cst.Module) -> None:
        self.module = node
        self._hoist_imports(node.body)
        self.cuda_guards.see_module(node)
        if self.track_values:
            self._module_assignments = assignment_counts(node)
        self._walk_block(node.body)

    def _hoist_imports(self, statements: Sequence[cst.BaseStatement]) -> None:
        """Module-level imports, anywhere at top level, for function bodies defined earlier."""
        for statement in statements:
            if type(statement) is cst.SimpleStatementLine:
                for small in statement.body:
                    if type(small) is cst.Import:
                        for alias in small.names:
                            self._bind_import(alias, None, into=self._hoisted_imports)
                    elif type(small) is cst.ImportFrom and not small.relative and small.module is not None:
                        module = dotted(small.module)
                        if not isinstance(small.names, cst.ImportStar):
                            for alias in small.names:
                                self._bind_import(alias, module, into=self._hoisted_imports)
            elif type(statement) is cst.If or type(statement) is cst.Try or type(statement) is cst.With:
                blocks = [statement.body]
                if type(statement) is cst.Try:
                    blocks += [h.body for h in statement.handlers]
                orelse = getattr(statement, "orelse", None)
                if orelse is not None and type(orelse) is not cst.If:
                    blocks.append(orelse.body)
                for block in blocks:
                    if type(block) is cst.IndentedBlock:
                        self._hoist_imports(block.body)

    def traverse_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._walk_block(node.body)

    def _walk_block(self, statements: Sequence[cst.BaseStatement]) -> None:
        """Walk statements in order; after a CUDA early exit the rest of the block is guarded."""
        guarded_rest = no_grad_rest = unknown_rest = 0
        accelerator_rest = committed_rest = 0
        guards_state = self.cuda_guards
        top_level = self.module is not None and statements is self.module.body
        try:
            for statement in statements:
                if top_level:
                    self.top_statement = statement
                self.walk(statement)
                if guards_state.guards_rest_of_block(statement):
                    test = guards_state.rest_of_block_test(statement)
                    if test is not None and guards.accelerator_only(test):
                        guards_state.accelerator_tests.append(test)
                        accelerator_rest += 1
                    else:
                        guards_state.depth += 1
                        guarded_rest += 1
                        if guards_state.commits_rest(statement):
                            guards_state.committed += 1
                            committed_rest += 1
                if self.track_values:
                    self.grad_mode.apply_in_place(statement)
                    mode = self.grad_mode.of_statement(statement)
                    if mode == grad_mode.OFF:
                        self.grad_mode.off_depth += 1
                        no_grad_rest += 1
                    elif mode == grad_mode.UNDECIDED:
                        self.grad_mode.undecided_depth += 1
                        unknown_rest += 1
        finally:
            guards_state.depth -= guarded_rest
            guards_state.committed -= committed_rest
            del guards_state.accelerator_tests[len(guards_state.accelerator_tests) - accelerator_rest:]
            self.grad_mode.off_depth -= no_grad_rest
            self.grad_mode.undecided_depth -= unknown_rest

    # flow: branches meet, and the bindings that differ become joins

    def _branch(self, body: cst.CSTNode | None, guarded: bool, base: dict[str, Binding],
                test: cst.BaseExpression | None = None) -> dict[str, Binding]:
        self.scope.bindings = dict(base)
        if body is not None:
            with self.cuda_guards.guarded(guarded, test):
                self.walk(body)
        return self.scope.bindings

    def traverse_If(self, node: cst.If) -> None:
        self.walk(node.test)
        polarity = self.cuda_guards.polarity(node.test)
        base = self.scope.snapshot()
        conditional = not _is_main_check(node.test)  # a script's main block always runs
        self._conditional_depth += conditional
        when_true, when_false = self._narrowed(node.test, base)
        try:
            after_body = self._branch(node.body, polarity.guards_true_branch, when_true, node.test)
            self._branch(node.orelse, polarity.guards_false_branch, when_false, node.test)
        finally:
            self._conditional_depth -= conditional
        # Which branch ran under a CUDA guard (an accelerator check, true on MPS too, is none).
        true_guarded, false_guarded = polarity.guards_true_branch, polarity.guards_false_branch
        if (true_guarded or false_guarded) and guards.accelerator_only(node.test):
            true_guarded = false_guarded = False
        self.scope.join_from(after_body, base, (false_guarded, true_guarded))

    def _narrowed_grad(self, test: cst.BaseExpression, base: dict[str, Binding]) -> tuple[dict[str, Binding], dict[str, Binding]] | None:
        """``if t.requires_grad:``: t requires grad in the body and not in the else branch."""
        if not (self.track_values and type(test) is cst.Attribute and test.attr.value == "requires_grad"
                and type(test.value) is cst.Name):
            return None
        name = test.value.value
        binding = base.get(name)
        if binding is None or binding.facts.kind is not Kind.TENSOR:
            return None
        when_true, when_false = dict(base), dict(base)
        when_true[name] = rebind(binding, facts=binding.facts.but(grad=True if binding.facts.grad else None))
        when_false[name] = rebind(binding, facts=binding.facts.but(grad=False, evidence=None))
        return when_true, when_false

    def _narrowed(self, test: cst.BaseExpression, base: dict[str, Binding]) -> tuple[dict[str, Binding], dict[str, Binding]]:
        """``if isinstance(x, np.ndarray):``: in that branch ``x`` is an ndarray (``not``
        swaps the branches). Only a kind is learned; layout, grad and placement stay unknown."""
        negated = type(test) is cst.UnaryOperation and type(test.operator) is cst.Not
        call = test.expression if type(test) is cst.UnaryOperation and negated else test
        grad_test = self._narrowed_grad(call, base)
        if grad_test is not None:  # if t.requires_grad: / if not t.requires_grad:
            return (grad_test[1], grad_test[0]) if negated else grad_test
        tested = _type_test(call) if self.track_values else None
        if tested is None:
            return base, base
        name, cls = tested
        qualnames = self.qualnames(cls)
        kind = Kind.NDARRAY if not qualnames.isdisjoint(returns.NDARRAY_TYPES) else (
            Kind.TENSOR if not qualnames.isdisjoint(returns.TENSOR_TYPES) else None)
        binding = base.get(name) or self.lookup(name)
        if binding is None:
            return base, base
        if kind is None or binding.facts.kind not in (kind, Kind.UNKNOWN):
            # A test for another type (``type(image) is Image`` on a parameter annotated as a
            # tensor): where it holds, the value is not what the model thought.
            if binding.facts.kind is Kind.UNKNOWN:
                return base, base
            forgotten = dict(base)
            forgotten[name] = rebind(binding, facts=UNKNOWN)
            return (base, forgotten) if negated else (forgotten, base)
        narrowed = dict(base)
        if binding.facts.kind is Kind.UNKNOWN:
            narrowed[name] = rebind(binding, facts=Value(kind, evidence=call))
        return (base, narrowed) if negated else (narrowed, base)

    def traverse_Else(self, node: cst.Else) -> None:
        self.walk(node.body)

    def traverse_IfExp(self, node: cst.IfExp) -> None:
        self.walk(node.test)
        polarity = self.cuda_guards.polarity(node.test)
        # 'cuda' if <anything> else 'cpu': the expression itself is the choice (unless the test
        # is a function object, always true: then the first branch always runs).
        is_choice = (is_cpu_literal(node.orelse) or is_cpu_literal(node.body)) and not guards.uncalled_check(node.test)
        before = self.scope.bindings
        when_true, when_false = self._narrowed(node.test, before) if self.track_values else (before, before)
        try:
            self.scope.bindings = when_true if when_true is before else dict(when_true)
            with self.cuda_guards.guarded(is_choice or polarity.guards_true_branch, node.test):
                self.walk(node.body)
            self.scope.bindings = before if when_false is before else dict(when_false)
            with self.cuda_guards.guarded(is_choice or polarity.guards_false_branch, node.test):
                self.walk(node.orelse)
        finally:
            if when_true is not before or when_false is not before:
                self.scope.bindings = before

    def traverse_While(self, node: cst.While) -> None:
        self.walk(node.test)
        polarity = guards.polarity(node.test)
        self._forget_rebound(node.body)
        base = self.scope.snapshot()
        self._loop_exits.append([])
        with self.cuda_guards.guarded(polarity.guards_true_branch, node.test):
            self.walk(node.body)
        self._leave_loop(base, node.orelse)

    def traverse_For(self, node: cst.For) -> None:
        self.walk(node.iter)
        self._forget_rebound(node.body)
        base = self.scope.snapshot()
        self.bind_target(node.target, "loop", node)
        self._bind_element(node.target, node.iter)
        self._mark_parts(node.target, node.iter)
        loop = sample_loop(node, node.target, node.iter, self) if self.track_values else None
        if loop is not None:
            self._sample_loops.append(loop)
        self._loop_exits.append([])
        try:
            with self.cuda_guards.guarded(over_gpus(node)):
                self.walk(node.body)
        finally:
            if loop is not None:
                self._sample_loops.pop()
        self._leave_loop(base, node.orelse)

    def _leave_loop(self, base: dict[str, Binding], orelse: cst.Else | None) -> None:
        """After a loop: the head's state (no iteration, or the last one, or a ``continue``),
        then ``else``, which a ``break`` skips; the states at each ``break`` join last."""
        exits = self._loop_exits.pop()
        self.scope.join_from(base, base)
        for kind, state in exits:
            if kind == "continue":
                self.scope.join_from(state, base)
        self._walk_all([orelse])
        for kind, state in exits:
            if kind == "break":
                self.scope.join_from(state, base)

    def traverse_Break(self, node: cst.Break) -> None:
        if self._loop_exits:
            self._loop_exits[-1].append(("break", self.scope.snapshot()))

    def traverse_Continue(self, node: cst.Continue) -> None:
        if self._loop_exits:
            self._loop_exits[-1].append(("continue", self.scope.snapshot()))

    def traverse_Try(self, node: cst.Try) -> None:
        base = self.scope.snapshot()
        self.walk(node.body)
        self.scope.join_from(base, base)
        after_body = self.scope.snapshot()
        ends = [after_body]
        for handler in node.handlers:
            # An exception may come from any statement of the body: what it rebinds is unknown.
            self.scope.bindings = dict(after_body)
            self._forget_rebound(node.body)
            self._walk_all([handler.type])
            if handler.name is not None:
                self.bind_target(handler.name.name, "except", handler)
            self.walk(handler.body)
            ends.append(self.scope.snapshot())
        self.scope.bindings = dict(after_body)
        self._walk_all([node.orelse])
        for end in ends[1:]:
            self.scope.join_from(end, after_body)
        self._walk_all([node.finalbody])

    traverse_TryStar = traverse_Try

    def traverse_Match(self, node: cst.Match) -> None:
        self.walk(node.subject)
        base = self.scope.snapshot()
        ends = []
        for case in node.cases:
            self.scope.bindings = dict(base)
            self._walk_all([case.pattern])
            for name in captured_names(case.pattern):
                self.bind(name, "other", case)  # case {"arr": x}: x is whatever matched
            self._walk_all([case.guard, case.body])
            ends.append(self.scope.snapshot())
        self.scope.bindings = dict(base)
        for end in ends:
            self.scope.join_from(end, base)

    def traverse_With(self, node: cst.With) -> None:
        modes = []
        for item in node.items:
            self.walk(item.item)
            modes.append(self.grad_mode.of(item.item))
            if item.asname is not None:
                entered = array_sources.entered(self.evaluator.value(item.item)) if self.track_values else None
                self.bind_target(item.asname.name, "with", item, None, facts=entered)
        swallows = self.track_values and context_managers.may_swallow(self, node)
        # (``_bind_locals`` enters a function's locals as "unbound" until assigned)
        bound_before = frozenset(name for name, binding in self.scope.bindings.items()
                                 if binding.kind != "unbound") if swallows else frozenset()
        with self.grad_mode.entered(off=grad_mode.OFF in modes, undecided=grad_mode.UNDECIDED in modes):
            self.walk(node.body)
        if swallows:
            self._forget_after_partial_body(node.body, bound_before)

    def _forget_after_partial_body(self, body: cst.BaseSuite, bound_before: frozenset[str]) -> None:
        """After a ``with`` whose manager may swallow an exception, the body may have stopped
        at any statement: a name it rebinds holds an unknown one of its values. A name
        unbound before and bound once in the body (not by ``:=``) keeps its value, or is
        unbound, and reading it raises ``NameError`` first."""
        walrus = walrus_targets(body) if self.may_use_walrus else set()
        counts = assignment_counts(body)
        bindings = self.scope.bindings
        for name in counts.keys() | walrus:
            if counts.get(name) == 1 and name not in bound_before and name not in walrus:
                continue
            binding = bindings.get(name)
            if binding is not None and binding.facts is not UNKNOWN:
                bindings[name] = rebind(binding, facts=UNKNOWN)

    def _forget_rebound(self, body: cst.BaseSuite) -> None:
        """At a loop's head, a name the body rebinds may hold the previous iteration's value.
        A tensor the body changes only in place (``w -= lr * w.grad``) is still the same
        tensor: its placement stays, and so does a grad it required (``traverse_AugAssign``)."""
        if not self.track_values:
            return
        bindings = self.scope.bindings
        rebound, in_place = rebound_in_place(body, walrus=self.may_use_walrus)
        for name in rebound:
            binding = bindings.get(name)
            if binding is None or binding.facts is UNKNOWN:
                continue
            facts = binding.facts
            kept = facts.but(grad=True if facts.grad else None) if facts.kind is Kind.TENSOR and name in in_place else UNKNOWN
            bindings[name] = rebind(binding, facts=kept)

    def traverse_Call(self, node: cst.Call) -> None:
        if is_cuda_only_case(node):
            with self.cuda_guards.guarded():
                walk_children(node, self.walk)
        else:  # nearly every call: no context manager to enter and leave
            walk_children(node, self.walk)
        if self.track_values:
            self.lists.observe(self, node)  # ``frames.append(x)``: what ``x`` is here
            read_only.observe_call(self, node)  # ``a.setflags(write=False)``

    # binding statements

    def traverse_Assign(self, node: cst.Assign) -> None:
        self.walk(node.value)
        for target in node.targets:
            self.bind_target(target.target, "assign", node, node.value)
        if self.track_values:
            read_only.observe_assignment(self, node)  # ``a.flags.writeable = False``

    def traverse_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.walk(node.annotation)
        self._walk_all([node.value])
        if type(node.target) is cst.Name and node.value is None:
            return  # a bare annotation binds nothing
        self.bind_target(node.target, "assign", node, node.value)
        if type(node.target) is cst.Name and self.track_values:
            # frames: list[torch.Tensor] = [...]: the annotation says what the value does not
            declared = self._annotated(node.annotation.annotation)
            binding = self.scope.bindings.get(node.target.value)
            # Where the value is unknown, or the same kind without the element the annotation names.
            if binding is not None and declared.kind is not Kind.UNKNOWN and (
                binding.facts.kind is Kind.UNKNOWN
                or (binding.facts.kind is declared.kind and binding.facts.result is None and declared.result is not None)
            ):
                self.scope.bindings[node.target.value] = rebind(binding, facts=declared)

    def traverse_AugAssign(self, node: cst.AugAssign) -> None:
        self.walk(node.target)
        self.walk(node.value)
        if type(node.target) is cst.Name:
            facts = UNKNOWN
            if self.track_values:
                before = self.evaluator.value(node.target)
                # In place: an array keeps its layout; a tensor takes on the operand's grad.
                facts = before if before.kind is Kind.NDARRAY else (
                    self._tensor_in_place(before, node) if before.kind is Kind.TENSOR else UNKNOWN
                )
            self.bind(node.target.value, "other", node, facts=facts)

    def _tensor_in_place(self, before: Value, node: cst.AugAssign) -> Value:
        """``w -= lr * w.grad`` changes the tensor ``w`` in place (``@=`` makes a new one): it
        stays where it is, and one that requires grad still does, under ``no_grad`` too (the
        operation is not recorded, the flag stays); otherwise it requires grad when the
        operand does and grad is on."""
        if type(node.operator) is not cst.MatrixMultiplyAssign and (before.grad or self.in_no_grad):
            return before
        result = self.evaluator.binary(before, self.evaluator.value(node.value))
        if type(node.operator) is cst.MatrixMultiplyAssign:
            return result
        return before.but(grad=result.grad, evidence=result.evidence if result.grad else before.evidence)

    def traverse_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.walk(node.value)
        if type(node.target) is cst.Name:
            facts = self.evaluator.value(node.value) if self.track_values else UNKNOWN
            self.bind(node.target.value, "walrus", node, value=node.value, qualnames=self.qualnames(node.value),
                      facts=facts)

    def traverse_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self._bind_import(alias, None)

    def traverse_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            return
        module = dotted(node.module) if node.module is not None and not node.relative else None
        for alias in node.names:
            if module is None:  # relative import: a module of the project (``project_index``)
                local = bound_name(alias)
                reference = import_reference(node, alias)
                if local:
                    self.bind(local, "import", alias, origins=frozenset({reference}) if reference else frozenset())
            else:
                self._bind_import(alias, module)

    def traverse_Global(self, node: cst.Global) -> None:
        self.scope.global_names.update(n.name.value for n in node.names)

    def traverse_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.scope.nonlocal_names.update(n.name.value for n in node.names)

    # scopes

    def traverse_FunctionDef(self, node: cst.FunctionDef) -> None:
        # A CUDA-only test's parametrize lists and defaults belong to it: walk them guarded.
        guarded = self.cuda_guards.by_decorators(node.decorators) or self._cuda_only_by_name(node)
        with self.cuda_guards.guarded(guarded):
            self._walk_all(node.decorators)
            self._walk_params_outside(node.params)
            self._walk_all([node.returns])
        returned = node.returns.annotation if node.returns is not None and node.asynchronous is None else None
        self.bind(node.name.value, "def", node, facts=Value(Kind.FUNCTION, result=self._annotated(returned)))
        decorator_modes = {self.grad_mode.of(d.decorator) for d in node.decorators}
        no_grad = grad_mode.OFF in decorator_modes or self.grad_mode.is_no_grad_hook(node)
        called = self._called_in(node)
        no_grad = no_grad or called == grad_mode.OFF
        undecided = called == grad_mode.UNDECIDED and not no_grad
        with (self._scope("function", node), self.cuda_guards.guarded(guarded),
              self.grad_mode.entered(off=no_grad, undecided=undecided)):
            self._bind_params(node.params, self.argument_facts.pop(id(node), None))
            self._bind_locals(node.body)
            self._functions.append(node)
            self._returns.append([])
            try:
                self.walk(node.body)
            finally:
                self._functions.pop()
                found = self._last_returns = self._returns.pop()
        if node.name.value == "forward" and self._class_facts_stack and found:
            result = found[0]
            for other in found[1:]:
                result = result.join(other)
            self._class_facts_stack[-1].forward = result

    def _called_in(self, node: cst.FunctionDef) -> str | None:
        """The grad mode the module's calls give a module-level function (``call_contexts``)."""
        if not (self.track_values and self.may_turn_grad_off and self.scope is self.module_scope
                and self.summaries.is_top_level(node)):
            return None
        return self.call_contexts.mode_of(node.name.value)

    def _cuda_only_by_name(self, node: cst.FunctionDef | cst.ClassDef) -> bool:
        """A test named for CUDA, or a CUDA-only API (``cuda_guards.cuda_only_by_name``)."""
        in_test = any(is_test_name(c) for c in self._classes) or any(is_test_name(f) for f in self._functions)
        method_of = self._classes[-1] if self._classes and self.scope.kind == "class" else None
        return cuda_only_by_name(node, method_of, in_test)

    def _bind_locals(self, body: cst.BaseSuite) -> None:
        """A name the function assigns anywhere is local in all of it (Python's rule): until
        its assignment runs, a read sees no module value (an earlier loop iteration's, or an
        UnboundLocalError)."""
        # Which names a body assigns, and declares global or nonlocal, is read from its own
        # subtree alone: a body the server's last check read is not read again.
        counts, outer = self.memo.of_node("assigned-locals", body, partial(_assigned_and_declared, body))
        bindings = self.scope.bindings
        for name in counts:
            if name not in bindings and name not in outer:
                bindings[name] = Binding(name=name, kind="unbound", guarded=self.in_cuda_guard)

    def traverse_Return(self, node: cst.Return) -> None:
        self._walk_all([node.value])
        if self.track_values and self._returns:
            self._returns[-1].append(self.evaluator.value(node.value) if node.value is not None else UNKNOWN)

    def traverse_Lambda(self, node: cst.Lambda) -> None:
        self._walk_params_outside(node.params)
        with self._scope("lambda", node):
            self._bind_params(node.params)
            self.walk(node.body)

    def traverse_ClassDef(self, node: cst.ClassDef) -> None:
        guarded = self.cuda_guards.by_decorators(node.decorators) or self._cuda_only_by_name(node)
        with self.cuda_guards.guarded(guarded):
            self._walk_all(node.decorators)
            self._walk_all([*node.bases, *node.keywords])
        with self._scope("class", node), self.cuda_guards.guarded(guarded):
            self._classes.append(node)
            self._class_facts_stack.append(self._new_class_facts(node))
            try:
                self.walk(node.body)
            finally:
                self._classes.pop()
                facts = self._class_facts_stack.pop()
        if self.track_values:
            self._class_attributes[id(node)] = facts.known()
        self.bind(node.name.value, "class", node, facts=self._class_facts(node, facts))

    def _class_facts(self, node: cst.ClassDef, facts: ClassFacts) -> Value:
        """The file's own ``nn.Module`` subclass: calling an instance gives what ``forward``
        returns, when every ``return`` in it gives a tensor."""
        return self._module_class(node, facts.forward)

    def instance_of(self, node: cst.ClassDef) -> Value:
        """What calling ``node``, a module-level class of this module, gives: for an
        ``nn.Module`` subclass, an instance whose call gives what ``forward`` returns (its
        summary, as ``_class_facts`` has it for the class walked in the file); else unknown.
        The project index asks it for a class that another module imports."""
        if not self.summaries.is_top_level(node) or not self._is_torch_module_class(node):
            return UNKNOWN
        forward = self.summaries.method(node, "forward")
        output = self.summaries.returned(forward, node) if forward is not None else UNKNOWN
        return self._module_class(node, output).result or UNKNOWN

    def _is_torch_module_class(self, node: cst.ClassDef) -> bool:
        return any(self.resolves_into(b.value, "torch.nn") for b in node.bases)

    def _module_class(self, node: cst.ClassDef, output: Value) -> Value:
        """The class value of an ``nn.Module`` subclass whose ``forward`` gives ``output``."""
        if not self.track_values or not self._is_torch_module_class(node):
            return UNKNOWN
        if output.kind is not Kind.TENSOR:
            output = UNKNOWN
        # Whether the output requires grad is what forward showed: True when a layer with
        # parameters produced it, unknown otherwise.
        return Value(Kind.FUNCTION, result=Value(Kind.MODULE, grad=output.grad or None, result=output))

    def _walk_params_outside(self, params: cst.Parameters) -> None:
        """Defaults and annotations are evaluated in the enclosing scope."""
        for param in parameters(params):
            self._walk_all([param.default, param.annotation.annotation if param.annotation else None])

    def _bind_params(self, params: cst.Parameters, arguments: dict[str, Value] | None = None) -> None:
        """``arguments``: what one call passes (a summary for that call, ``Summaries.returned``)."""
        stars = {id(params.star_arg), id(params.star_kwarg)}
        for param in parameters(params):
            facts = self._annotated(param.annotation.annotation) if param.annotation is not None else UNKNOWN
            if arguments and param.name.value in arguments:
                facts = arguments[param.name.value]
            if id(param) in stars:  # *args: np.ndarray is a tuple of arrays, **kwargs a dict
                facts = Value(Kind.TUPLE, result=facts if facts.kind is not Kind.UNKNOWN else None) \
                    if param is params.star_arg else Value(Kind.DICT)
            self.bind(param.name.value, "param", param, value=param.default, facts=facts)

    def _annotated(self, annotation: cst.BaseExpression | None) -> Value:
        """``x: np.ndarray`` is an ndarray, ``-> torch.Tensor`` a tensor (layout, grad unknown)."""
        if annotation is None or not self.track_values:
            return UNKNOWN
        container = annotation.value if type(annotation) is cst.Subscript else annotation
        kind = None
        if type(container) is cst.Name and container.value in ("list", "tuple") and self.lookup(container.value) is None:
            kind = Kind.LIST if container.value == "list" else Kind.TUPLE
        elif not self.qualnames(container).isdisjoint(returns.SEQUENCE_TYPES):
            kind = Kind.LIST if "List" in min(self.qualnames(container)) else Kind.TUPLE
        if kind is not None:
            # list[torch.Tensor], Tuple[np.ndarray, ...]: the element's kind when all agree
            element = UNKNOWN
            if type(annotation) is cst.Subscript:
                items = [self._annotated(e.slice.value) for e in annotation.slice if type(e.slice) is cst.Index
                         and type(e.slice.value) is not cst.Ellipsis]
                if items and all(item.kind is items[0].kind for item in items):
                    element = items[0].but(evidence=None)
            return Value(kind, result=element if element.kind is not Kind.UNKNOWN else None)
        qualnames = self.qualnames(annotation)
        if not qualnames.isdisjoint(returns.NDARRAY_TYPES):
            return Value(Kind.NDARRAY, evidence=annotation)
        if not qualnames.isdisjoint(returns.TENSOR_TYPES):
            return Value(Kind.TENSOR)
        if not qualnames.isdisjoint(returns.DATAFRAME_TYPES):
            return Value(Kind.DATAFRAME)
        return UNKNOWN

    def _traverse_comprehension(self, node: Any) -> None:
        first = node.for_in
        self.walk(first.iter)  # the first iterable is evaluated outside
        loop = sample_loop(node, first.target, first.iter, self) if self.track_values else None
        if loop is not None:
            self._sample_loops.append(loop)
        try:
            self._walk_comprehension(node, first)
        finally:
            if loop is not None:
                self._sample_loops.pop()

    def _walk_comprehension(self, node: Any, first: cst.CompFor) -> None:
        parts: list[tuple[SampleLoop, set[str]]] = []
        with self._scope("comprehension", node):
            for_in: cst.CompFor | None = first
            while for_in is not None:
                if for_in is not first:
                    self.walk(for_in.iter)
                self.bind_target(for_in.target, "loop", for_in)
                self._bind_element(for_in.target, for_in.iter)
                parts.extend(self._mark_parts(for_in.target, for_in.iter))
                self._walk_all(for_in.ifs)
                for_in = for_in.inner_for_in
            if type(node) is cst.DictComp:
                self.walk(node.key)
                self.walk(node.value)
            else:
                self.walk(node.elt)
        for loop, names in parts:  # a comprehension's names end with it
            loop.names -= names

    def _mark_parts(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> list[tuple[SampleLoop, set[str]]]:
        """An inner loop over one sample's parts (``loops.sample_parts``): its names hold one
        sample of the outer loop too. Gives the names it added, per loop."""
        added = []
        for loop in self._sample_loops:
            names = sample_parts(loop, target, iterable) - loop.names
            if names:
                loop.names |= names
                added.append((loop, names))
        return added


def _assigned_and_declared(body: cst.BaseSuite) -> tuple[dict[str, int], frozenset[str]]:
    """``assignment_counts`` of a function body, and the names it declares global or nonlocal."""
    declared: set[str] = set()
    return assignment_counts(body, declared), frozenset(declared)


def _type_test(test: cst.BaseExpression) -> tuple[str, cst.BaseExpression] | None:
    """``isinstance(x, C)``, ``type(x) is C``, ``type(x) == C``: the name and the class."""
    if type(test) is cst.Call and dotted(test.func) == "isinstance" and len(test.args) == 2:
        if isinstance(test.args[0].value, cst.Name):
            return test.args[0].value.value, test.args[1].value
        return None
    if type(test) is cst.Comparison and len(test.comparisons) == 1:
        left, target = test.left, test.comparisons[0]
        if (
            (type(target.operator) is cst.Is or type(target.operator) is cst.Equal) and type(left) is cst.Call and dotted(left.func) == "type"
            and len(left.args) == 1 and isinstance(left.args[0].value, cst.Name)
        ):
            return left.args[0].value.value, target.comparator
    return None


def _is_main_check(test: cst.BaseExpression) -> bool:
    """``if __name__ == "__main__":``."""
    return type(test) is cst.Comparison and dotted(test.left) == "__name__"


