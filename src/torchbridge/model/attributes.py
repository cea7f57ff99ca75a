"""Facts about ``self.<name>`` attributes: what a class's methods store, and who else writes.

A Dataset that does ``self.frames = np.load(...)`` in ``__init__`` and ``torch.tensor(
self.frames[i])`` in ``__getitem__``: the read sees the join of every write to
``self.frames`` in the class (``Value.join``: writes that disagree give unknown). The facts
are known only when every write is one the model follows:

- every statement of the class that assigns ``self.<name>`` (in any method, at any depth)
  has been walked: a method later in the class may rebind it (``ClassFacts``);
- no code outside the class's own methods writes the name: ``obj.<name> = ...`` anywhere in
  the module, ``self.<name> = ...`` in another class of the module that derives from it or
  that it derives from, ``setattr(obj, "<name>", ...)``; a ``setattr`` with a computed name
  or a write through ``__dict__`` makes every attribute of the module unknown
  (``outside_writes``);
- the class body binds no ``<name>`` of its own (a class attribute is what an instance reads
  before its first write; a property is no stored value);
- ``self.<name> += ...``, ``del self.<name>`` and ``for self.<name> in ...`` count as writes
  with an unknown value.

Classes of other modules are not seen: a base class imported from elsewhere, or a subclass
defined elsewhere, that rebinds the attribute is the same blind spot as for methods
(``summaries``).

Other parts read these facts through ``SemanticModel.class_attributes(cls)``: for each
attribute name, the joined value of its writes and the write statements, once the class has
been walked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

import libcst as cst

from .memo import NO_MEMO, SubtreeMemo
from .names import dotted, self_attribute, string_value
from .tree import statement_children
from .values import UNKNOWN, Kind, Value


@dataclass(frozen=True)
class AttributeFacts:
    """What every write to ``self.<name>`` in a class stores (joined), and the writes."""

    value: Value
    writes: tuple[cst.CSTNode, ...]  # the assignment statements, in the order walked


@dataclass
class ClassFacts:
    """What a class's methods store in ``self`` and what its ``forward`` returns."""

    total: dict[str, int]  # assignments to self.<name> anywhere in the class
    cls: cst.ClassDef | None = None
    class_names: frozenset[str] = frozenset()  # names the class body binds (a class attribute, a property)
    outside_writes: OutsideWrites | None = None  # the module's other writes, scanned when first asked
    attributes: dict[str, Value] = field(default_factory=dict)
    seen: dict[str, int] = field(default_factory=dict)
    writes: dict[str, list[cst.CSTNode]] = field(default_factory=dict)
    forward: Value = UNKNOWN

    def assign(self, name: str, value: Value, node: cst.CSTNode | None = None) -> None:
        self.attributes[name] = self.attributes[name].join(value) if name in self.attributes else value
        self.seen[name] = self.seen.get(name, 0) + 1
        if node is not None:
            self.writes.setdefault(name, []).append(node)

    def complete(self, name: str) -> bool:
        """Every assignment to ``self.<name>`` in the class has been walked."""
        return self.seen.get(name, 0) == self.total.get(name, 0)

    def attribute(self, name: str) -> Value:
        # Known only once every assignment in the class is seen (a later method may rebind
        # it), and when nothing else writes it.
        value = self.attributes.get(name)
        if value is None or value.kind is Kind.UNKNOWN or not self.complete(name) or self.written_outside(name):
            return UNKNOWN
        return value

    def known(self) -> dict[str, AttributeFacts]:
        """Every attribute whose writes are all followed, with its value and its writes."""
        return {
            name: AttributeFacts(self.attribute(name), tuple(self.writes.get(name, ())))
            for name in self.attributes
            if self.complete(name) and not self.written_outside(name)
        }

    def written_outside(self, name: str) -> bool:
        if name in self.class_names:
            return True  # before the first write, or through a property, the class's own binding
        if self.outside_writes is None or self.cls is None:
            return False
        outside = self.outside_writes.of(self.cls)
        return outside is None or name in outside


class OutsideWrites:
    """The attribute writes of one module that are not ``self.<name>`` in a class's own
    methods, found by one scan of its statements (expressions are not entered: a write is a
    statement, and ``setattr`` is a call statement)."""

    def __init__(self, module: cst.Module | None, memo: SubtreeMemo = NO_MEMO) -> None:
        self._module = module
        self._memo = memo
        self._scanned = False
        self._through_other: set[str] = set()  # obj.<name> = ... with obj not ``self``
        self._by_class: dict[str, set[str]] = {}  # class name -> its self.<name> writes
        self._bases: dict[str, set[str]] = {}  # class name -> the names of its bases
        self._everything = False  # setattr with a computed name, a write through __dict__
        self._found: dict[str, frozenset[str]] = {}

    def of(self, cls: cst.ClassDef) -> frozenset[str] | None:
        """The names of ``cls``'s attributes that code other than its methods writes; None
        when any name may be written."""
        if not self._scanned:
            self._scan()
        if self._everything:
            return None
        found = self._found.get(cls.name.value)
        if found is None:
            names = set(self._through_other)
            for other in self.related(cls.name.value):
                names |= self._by_class.get(other, set())
            found = self._found[cls.name.value] = frozenset(names)
        return found

    def related(self, name: str) -> set[str]:
        """The module's classes that ``name`` derives from or that derive from it (any depth)."""
        if not self._scanned:
            self._scan()
        related = set()
        pending = [name]
        while pending:  # the bases
            for base in self._bases.get(pending.pop(), ()):
                if base not in related and base != name:
                    related.add(base)
                    pending.append(base)
        derived = {name}
        changed = True
        while changed:  # the subclasses
            changed = False
            for cls, bases in self._bases.items():
                if cls not in derived and bases & derived:
                    derived.add(cls)
                    changed = True
        return related | (derived - {name})

    def _scan(self) -> None:
        self._scanned = True
        for statement in self._module.body if self._module is not None else ():
            # The writes one module-level statement makes, and the classes it defines, are
            # read from its own subtree alone (a write's owner is a class inside it), so a
            # statement the server's last check scanned is not scanned again.
            self._add(self._memo.of_node("outside-writes", statement, partial(_writes_of, statement)))

    def _add(self, part: OutsideWrites) -> None:
        self._through_other |= part._through_other
        for name, writes in part._by_class.items():
            self._by_class.setdefault(name, set()).update(writes)
        for name, bases in part._bases.items():
            self._bases.setdefault(name, set()).update(bases)
        self._everything = self._everything or part._everything

    def _scan_from(self, root: cst.CSTNode) -> None:
        pending: list[tuple[cst.CSTNode, str | None]] = [(root, None)]
        while pending:
            node, owner = pending.pop()
            # ``type(...) is`` rather than ``isinstance``: most nodes here match nothing, and
            # a failed ``isinstance`` on a LibCST class is slow (``tree.node_types``).
            if type(node) is cst.ClassDef:
                name = node.name.value
                self._bases.setdefault(name, set()).update(
                    (dotted(b.value) or "").rpartition(".")[2] for b in node.bases
                )
                pending.append((node.body, name))
                continue
            if type(node) is cst.Assign:
                for assign_target in node.targets:
                    self._target(assign_target.target, owner)
                continue
            if type(node) is cst.AnnAssign or type(node) is cst.AugAssign:
                self._target(node.target, owner)
                continue
            if type(node) is cst.Del:
                self._target(node.target, owner)
                continue
            if type(node) is cst.For:
                self._target(node.target, owner)
            elif type(node) is cst.With:
                for item in node.items:
                    if item.asname is not None:
                        self._target(item.asname.name, owner)
            elif type(node) is cst.Expr:
                self._call_statement(node.value)
                continue
            # A write is a statement: expressions are not entered.
            pending.extend((child, owner) for child in statement_children(node))

    def _target(self, target: cst.BaseExpression, owner: str | None) -> None:
        if type(target) is cst.Tuple or type(target) is cst.List:
            for element in target.elements:
                self._target(element.value, owner)
        elif type(target) is cst.StarredElement:
            self._target(target.value, owner)
        elif type(target) is cst.Attribute:
            if target.attr.value == "__dict__" or dotted(target.value) is not None and "__dict__" in (dotted(target.value) or ""):
                self._everything = True
            elif self_attribute(target) is not None and owner is not None:
                self._by_class.setdefault(owner, set()).add(target.attr.value)
            else:
                self._through_other.add(target.attr.value)
        elif type(target) is cst.Subscript and "__dict__" in (dotted(target.value) or ""):
            self._everything = True  # obj.__dict__["name"] = ...

    def _call_statement(self, value: cst.BaseExpression) -> None:
        if type(value) is not cst.Call:
            return
        callee = dotted(value.func) or ""
        if callee in ("setattr", "object.__setattr__") and len(value.args) >= 2:
            name = string_value(value.args[1].value)
            if name is None:
                self._everything = True
            else:
                self._through_other.add(name)
        elif "__dict__" in callee:
            self._everything = True  # self.__dict__.update(...): any name


def _writes_of(statement: cst.BaseStatement) -> OutsideWrites:
    """The writes of one module-level statement (never changed once made: ``OutsideWrites._add``
    copies them)."""
    part = OutsideWrites(None)
    part._scanned = True
    part._scan_from(statement)
    return part
