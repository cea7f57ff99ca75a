"""Facts that cross modules: what a function imported from another module of the project returns.

``from .data import load``, ``from pkg.io import load``, ``import pkg.io as io; io.load(p)``:
when the model asks for the value of such a call, the index finds the module's file,
outlines it with CPython's parser (``Outline``: once per process and content), parses only
the function's snippet with LibCST (the function, the imports it mentions, the module's
helpers it mentions), and gives the callee's return summary (``summaries``) as if the
function were defined in the calling file. Nothing is read until the model asks. The
device rules ask one more question of such a function (``judged``): whether it returns only
with CUDA committed (``cuda_guards.commits_on_every_return``), read in its own module.

Which file an import names, decided as Python would and unknown where Python could pick
either:

- a relative import (``from .data import load``, ``from . import data``) from the file's own
  folder, one folder up per extra dot;
- an absolute import from each of the file's search roots: the folder above its package
  (the highest folder up from the file that holds an ``__init__.py`` chain), the file's own
  folder (a script's neighbours), and the project root (the nearest folder up with
  ``pyproject.toml``, ``setup.py``, ``setup.cfg`` or ``.git``) with its ``src/``. When two
  roots give different files, the import is unknown. The standard library and the
  libraries the catalogue knows are never looked up;
- ``a/b.py`` or ``a/b/__init__.py`` (both present: unknown); folders without
  ``__init__.py`` on the way are namespace packages.

What the module must show, or the answer is unknown:

- the name is a plain module-level ``def`` bound once in the module, never imported there,
  never declared ``global`` (``summaries`` says which functions summarise);
- or a module-level ``class`` bound once, never imported there, never declared ``global``,
  without decorators, with a base written ``nn.X``, ``torch.nn.X`` or ``Module`` (other
  classes are not parsed: their instances would be unknown): calling it gives what the
  file's own class would
  (``SemanticModel.instance_of``: an ``nn.Module`` subclass whose ``forward`` returns only
  tensors is a module whose call gives that tensor; any other class is unknown). Its
  snippet holds the class and the module's functions and classes it names. Code of that
  module outside the class that rebinds a method (``Net.forward = ...``) is not seen;
- or the name is bound once, by one unconditional module-level ``from X import name`` (a
  re-export through ``__init__.py``): followed to ``X``, at most ``MAX_REEXPORTS`` times;
- the file is at most ``MAX_MODULE_BYTES``, parses, and the engine's pre-scan passes it.

Bounds: ``MAX_CHAIN`` cross-module summaries in progress at once (a cycle of modules
asking each other is unknown), ``MAX_MODULES`` modules consulted for one imported call's
summary. Each such summary is computed on its own and kept per process (``summary``). The callee's
parameters are unknown, as for a helper of the same file; the grad mode at the call is
the callee's, and the whole-file facts that make values unknown (``set_default_device``,
frozen parameters) count when either file shows them.

Every file the index looked at, present or not, is recorded with its content hash
(``dependencies``): the result cache checks them before it reuses a file's findings.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import re
import stat
import sys
import time
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import libcst as cst

from .names import bound_name, dotted, import_target
from .values import UNKNOWN, Value

if TYPE_CHECKING:
    from .semantic import SemanticModel

MAX_CHAIN = 3  # cross-module summaries in progress at once (a helper calling an imported helper...)
MAX_MODULES = 16  # modules one imported call's summary may consult
MAX_REEXPORTS = 3  # ``from .io import load`` hops through packages' ``__init__.py``
MAX_MODULE_BYTES = 500_000  # a larger module is not parsed for its helpers
MAX_PARSED = 256  # outlines, and parsed functions, kept per process (the oldest go first)
MAX_SUMMARIES = 4096  # cross-module summaries kept per process
MAX_HELPERS = 8  # functions of the module parsed with the one asked for (the helpers it calls)

_PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", ".git")
# Never the project's own modules as far as the index asks: the standard library and the
# libraries whose calls the catalogue knows (``catalogue/``).
_NOT_PROJECT = frozenset(sys.stdlib_module_names) | frozenset({
    "torch", "numpy", "cv2", "PIL", "pandas", "h5py", "imageio", "skimage", "sklearn", "matplotlib",
    "scipy", "torchvision", "torchaudio", "tensorflow", "jax",
})


@dataclass(frozen=True)
class TextFacts:
    """Whole-file facts read from a module's text that make some values unknown."""

    freezes_parameters: bool = False  # ``requires_grad = False`` somewhere: outputs may not need grad
    sets_default_device: bool = False  # factories may not be on the CPU
    sets_default_dtype: bool = False  # a Python float may not become float32


@dataclass(frozen=True)
class Outline:
    """A module of the project as CPython's parser reads it (about a fifteenth of LibCST's
    cost): where its summarisable functions are, and what it re-exports. Only the text a
    summary needs is ever given to LibCST (``Outline.source_of``)."""

    lines: tuple[str, ...]
    facts: TextFacts
    functions: dict[str, tuple[int, int]]  # module-level defs bound once, never imported or global: lines
    # The lines of the unconditional module-level imports, with the names each binds.
    imports: tuple[tuple[int, int, frozenset[str]], ...]
    reexports: dict[str, str]  # name -> reference of its one unconditional ``from X import name``
    # Module-level classes bound once, never imported or global, without decorators, with a
    # base that may be in torch.nn (``_may_be_torch_module``): lines.
    classes: dict[str, tuple[int, int]] = field(default_factory=dict)

    def source_of(self, name: str) -> str:
        """A module of the imports and ``name``'s function (or class), with the module's
        functions and classes it reads, transitively (at most ``MAX_HELPERS``): what its
        summary may need."""
        spans_of = {**self.classes, **self.functions}
        chosen = [name]
        words: set[str] = set()
        for function in chosen:
            first, last = spans_of[function]
            # Every word of its text (strings and comments too: a helper too many is harmless).
            found = set(_WORD.findall("".join(self.lines[first - 1:last])))
            words |= found
            for used in sorted(found):
                if used in spans_of and used not in chosen and len(chosen) < MAX_HELPERS:
                    chosen.append(used)
        # Only the imports of names the functions mention (``__future__`` ones always).
        imports = [(first, last) for first, last, bound in self.imports if bound & words or "__future__" in bound]
        spans = list(dict.fromkeys([*imports, *sorted(spans_of[f] for f in chosen)]))  # a line once
        parts = ["".join(self.lines[first - 1:last]) for first, last in spans]
        return "".join(part if part.endswith("\n") else part + "\n" for part in parts)


# The engine's hooks: a file's text and whole-file facts from its bytes (None: not Python
# text), and LibCST's tree of a text (None when it must not be parsed: too complex for
# LibCST's native parser, a syntax error).
Decoder = Callable[[bytes], "tuple[str, TextFacts] | None"]
Parser = Callable[[str], "cst.Module | None"]
Reader = Callable[[Path], "bytes | None"]
# How a module's model is made (``SemanticModel.for_module``), passed in so that the model
# and the index do not import each other.
HostFactory = Callable[[cst.Module, TextFacts, "FileImports"], "SemanticModel"]
# A question about one function of the project asked of its own module's model (its
# imports, not the caller's): ``FileImports.judged``.
Judge = Callable[["SemanticModel", cst.FunctionDef], bool]


def read_file(path: Path) -> bytes | None:
    """A regular file's bytes, None when there is none (or it cannot be read)."""
    return _DISK.read(path)[0]


def digest_of(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


class _DiskFiles:
    """Files' bytes and hashes, read once per process while their ``stat`` is unchanged: the
    checks of one run ask for the same few modules again and again (each checked file
    consults its imports, and a lookup tries several candidate paths). A file modified in the
    last ``SETTLE_NS`` is always read again (as git treats a "racy" index entry), so that two
    writes within the file system's clock tick, of the same size, are never confused."""

    SETTLE_NS = 2_000_000_000
    LIMIT = 4096

    def __init__(self) -> None:
        self._known: OrderedDict[Path, tuple[tuple[int, int, int, int], bytes, str]] = OrderedDict()

    def read(self, path: Path) -> tuple[bytes | None, str | None]:
        try:
            status = os.stat(path)
        except (OSError, ValueError):
            return None, None
        if not stat.S_ISREG(status.st_mode):
            return None, None
        signature = (status.st_mtime_ns, status.st_ctime_ns, status.st_size, status.st_ino)
        known = self._known.get(path)
        if known is not None and known[0] == signature:
            self._known.move_to_end(path)
            return known[1], known[2]
        try:
            with open(path, "rb") as handle:
                data = handle.read()
        except OSError:
            return None, None
        digest = hashlib.sha256(data).hexdigest()
        if time.time_ns() - status.st_mtime_ns > self.SETTLE_NS:  # the signature has ctime for the rest
            _remember(self._known, path, (signature, data, digest), self.LIMIT)
        return data, digest

    def digest(self, path: Path, data: bytes) -> str:
        """The hash of ``data``, a file's bytes as some reader gave them: the one kept for
        ``path`` when ``data`` is the very object kept with it (a reader that falls back to
        ``read_file``, as the language server's does), else computed."""
        known = self._known.get(path)
        return known[2] if known is not None and known[1] is data else hashlib.sha256(data).hexdigest()


_DISK = _DiskFiles()


class ProjectIndex:
    """The project's modules as the checks of one process see them: parsed once per content.

    ``reader`` gives a file's bytes (the language server's reader prefers an open
    document's unsaved text to the disk)."""

    def __init__(self, decoder: Decoder, parser: Parser, host: HostFactory, reader: Reader = read_file) -> None:
        self._decoder = decoder
        self._parser = parser
        self.host = host
        self.reader = reader
        self._outlines: OrderedDict[tuple[Path, str], Outline | None] = OrderedDict()
        self._sources: OrderedDict[tuple[Path, str, str], cst.Module | None] = OrderedDict()
        # Per checked file, the files its last check consulted: read backwards, the files
        # whose findings may change when one file changes (``importers_of``).
        self._consulted: dict[Path, set[Path]] = {}
        self._roots: dict[Path, list[Path]] = {}  # per folder, its files' search roots
        self._summaries: OrderedDict[tuple[object, ...], _Summary] = OrderedDict()
        # Per (module, function, content, judge): ``judged``'s answer, which reads that file alone.
        self._judged: OrderedDict[tuple[object, ...], bool] = OrderedDict()
        # Per (content hash, name): ``_may_define``'s answer, a search of the whole file that
        # every check importing the name would otherwise repeat.
        self._may_define: OrderedDict[tuple[str, str], bool] = OrderedDict()

    def for_file(self, path: Path) -> FileImports:
        """What one check of the file at ``path`` may learn from the project's other modules."""
        path = path.absolute()
        consulted = self._consulted[path] = set()  # this check replaces the last one's edges
        return FileImports(path, _Check(self, consulted))

    def importers_of(self, path: Path) -> set[Path]:
        """The checked files whose last check consulted ``path`` (directly or through a
        chain of imports)."""
        path = path.absolute()
        # A copy first: the language server asks from its loop while a check may add edges.
        return {importer for importer, consulted in list(self._consulted.items()) if path in consulted}

    def roots_of(self, path: Path) -> list[Path]:
        """``search_roots`` of a file, found once per folder and process."""
        roots = self._roots.get(path.parent)
        if roots is None:
            roots = self._roots[path.parent] = search_roots(path)
        return roots

    def outline(self, path: Path, data: bytes, digest: str) -> Outline | None:
        key = (path, digest)
        if key in self._outlines:
            self._outlines.move_to_end(key)
            return self._outlines[key]
        decoded = self._decoder(data) if len(data) <= MAX_MODULE_BYTES else None
        found = _outline(*decoded) if decoded is not None else None
        _remember(self._outlines, key, found)
        return found

    def summary(self, found: tuple[Path, str], caller: SemanticModel, check: _Check) -> Value:
        """What calling the project function ``found`` gives from ``caller``: computed on its
        own (its hosts and bounds are its own, never those of the calls before it, so the
        answer depends on nothing but the files it read and the caller's grad mode and
        settings), once per process while those files are unchanged."""
        _, digest = check.read(found[0])
        mode = "off" if caller.in_no_grad else "undecided" if caller.grad_mode_unknown else "on"
        key = (found, digest, mode, caller.freezes_parameters, caller.sets_default_device, caller.sets_default_dtype)
        known = self._summaries.get(key)
        # Every file it read is read again (its hash memoised while unchanged) and recorded
        # as a dependency of this check, as if the summary were computed here.
        if known is not None and all(check.read(Path(path))[1] == hashed for path, hashed in known.dependencies):
            self._summaries.move_to_end(key)
            return known.value
        alone = _Check(self, set())
        value = FileImports(found[0], alone)._summary(found, caller)
        alone.close_hosts()
        for path, hashed in alone.dependencies.items():
            check.dependencies[path] = hashed
        check.consulted |= alone.consulted
        _remember(self._summaries, key, _Summary(value, tuple(alone.dependencies.items())), MAX_SUMMARIES)
        return value

    def judged(self, found: tuple[Path, str], check: _Check, judge: Judge) -> bool:
        """``judge``'s answer on the project function ``found``, once per process and content
        of its file (the only file the answer reads); False where the function cannot be read."""
        _, digest = check.read(found[0])
        key = (found, digest, judge)
        known = self._judged.get(key)
        if known is None:
            host = FileImports(found[0], check)._host(*found)
            node = host.summaries.top_level(found[1]) if host is not None else None
            known = host is not None and type(node) is cst.FunctionDef and judge(host, node)
            _remember(self._judged, key, known, MAX_SUMMARIES)
        else:
            self._judged.move_to_end(key)
        return known

    def may_define(self, data: bytes, digest: str, name: str) -> bool:
        """``_may_define(data, name)`` for the bytes whose hash is ``digest``, once per process."""
        key = (digest, name)
        known = self._may_define.get(key)
        if known is None:
            known = _may_define(data, name)
            _remember(self._may_define, key, known, MAX_SUMMARIES)
        else:
            self._may_define.move_to_end(key)
        return known

    def function_module(self, path: Path, digest: str, outline: Outline, name: str) -> cst.Module | None:
        """LibCST's tree of ``outline.source_of(name)``, parsed once per process."""
        key = (path, digest, name)
        if key in self._sources:
            self._sources.move_to_end(key)
            return self._sources[key]
        source = outline.source_of(name)
        found = self._parser(source) if _may_know(source) else None
        _remember(self._sources, key, found)
        return found


@dataclass(frozen=True)
class _Summary:
    """A cross-module summary as one process computed it, with the files it read."""

    value: Value
    dependencies: tuple[tuple[str, str | None], ...]  # (path, content hash; None: absent)


def _remember(table: OrderedDict, key: object, value: object, limit: int = MAX_PARSED) -> None:
    table[key] = value
    if len(table) > limit:
        table.popitem(last=False)


class _Check:
    """The state one file's check shares with the modules it consults: the files looked at,
    the modules walked, the summaries in progress."""

    def __init__(self, index: ProjectIndex, consulted: set[Path]) -> None:
        self.index = index
        self.consulted = consulted  # the index's record of what this check looked at
        self.dependencies: dict[str, str | None] = {}  # path -> content hash (None: absent)
        self.hosts: dict[tuple[Path, str], SemanticModel | None] = {}  # per function consulted: its model
        self.active: list[tuple[Path, str] | Value] = []  # (module, function) summaries in progress
        self._read: dict[Path, tuple[bytes | None, str | None]] = {}
        self.functions: dict[tuple[str, Path, int], object] = {}  # what each reference resolved to

    def close_hosts(self) -> None:
        for host in self.hosts.values():
            if host is not None:
                host.close()
        self.hosts.clear()

    def read(self, path: Path) -> tuple[bytes | None, str | None]:
        """A file's bytes and hash, read once per check (the recorded hash is what was used)."""
        known = self._read.get(path)
        if known is not None:
            return known
        if self.index.reader is read_file:
            data, digest = _DISK.read(path)  # the hash too, once per content
        else:
            data = self.index.reader(path)
            digest = _DISK.digest(path, data) if data is not None else None
        self._read[path] = data, digest
        self.dependencies[str(path)] = digest
        self.consulted.add(path)
        return data, digest


class FileImports:
    """The imports of one file, resolved against its project on demand."""

    def __init__(self, path: Path, check: _Check) -> None:
        self.path = path
        self._check = check

    def close_hosts(self) -> None:
        """Frees the models made for this check's summaries (``SemanticModel.close``)."""
        self._check.close_hosts()

    @property
    def dependencies(self) -> dict[str, str | None]:
        """Every file consulted, with its content hash (None: looked for, absent)."""
        return dict(self._check.dependencies)

    def returned(self, reference: str, caller: SemanticModel) -> Value | None:
        """What calling the function ``reference`` names gives at the caller's point
        (``.data.load``: ``load`` of the module ``.data``, relative to this file; ``pkg.io.load``
        absolute); None when it is no function of the project's modules as far as the index
        can tell (a library, a module it cannot find); UNKNOWN where the answer is unknown."""
        found = self._function(reference, self.path, 0)
        if found is None or isinstance(found, Value):
            return found
        check = self._check
        if found in check.active or len(check.active) >= MAX_CHAIN:
            return UNKNOWN  # a cycle of modules, or a chain too long
        if check.active:
            return self._summary(found, caller)  # a step of the summary in progress
        return check.index.summary(found, caller, check)

    def judged(self, reference: str, judge: Judge) -> bool:
        """What ``judge`` says of the project function ``reference`` names (as for
        ``returned``), asked of the function's own module; False when it names none or the
        index cannot tell which."""
        found = self._function(reference, self.path, 0)
        if found is None or isinstance(found, Value):
            return False
        return self._check.index.judged(found, self._check, judge)

    def _summary(self, found: tuple[Path, str], caller: SemanticModel) -> Value:
        check = self._check
        host = self._host(*found)
        if host is None:
            return UNKNOWN
        node = host.summaries.top_level(found[1])
        if not isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return UNKNOWN
        # The callee runs with the caller's grad mode and under either file's global settings.
        host.freezes_parameters |= caller.freezes_parameters
        host.sets_default_device |= caller.sets_default_device
        host.sets_default_dtype |= caller.sets_default_dtype
        check.active.append(found)
        try:
            if isinstance(node, cst.ClassDef):
                # An instance, as the file's own class would give: its forward runs when it is
                # called, in the grad mode of that call (``evaluate``), not of this one.
                return host.instance_of(node)
            with host.grad_mode.entered(off=caller.in_no_grad, undecided=caller.grad_mode_unknown):
                return host.summaries.returned(node, None)
        finally:
            check.active.pop()

    # ---------------------------------------------------------- resolution

    def _function(self, reference: str, origin: Path, hops: int) -> tuple[Path, str] | Value | None:
        """The module and the name of the function ``reference`` names from ``origin``
        (once per check: a file calls the same helpers again and again)."""
        key = (reference, origin, hops)
        known = self._check.functions.get(key, _MISSING)
        if known is _MISSING:
            known = self._check.functions[key] = self._resolve(reference, origin, hops)
        return known  # type: ignore[return-value]  # _MISSING never stays

    def _resolve(self, reference: str, origin: Path, hops: int) -> tuple[Path, str] | Value | None:
        split = split_reference(reference)
        if split is None:
            return None
        module_reference, name = split
        module_path = self._module_file(module_reference, origin)
        if module_path is None or isinstance(module_path, Value):
            return module_path
        data, digest = self._check.read(module_path)
        if data is None or digest is None or not self._check.index.may_define(data, digest, name):
            return UNKNOWN  # a name the module never mentions, a class of no torch.nn base: no outline needed
        outline = self._outline(module_path)
        if outline is None:
            return UNKNOWN
        if name in outline.functions or name in outline.classes:
            return module_path, name
        forwarded = outline.reexports.get(name)
        if forwarded is not None and hops < MAX_REEXPORTS:
            return self._function(forwarded, module_path, hops + 1) or UNKNOWN
        return UNKNOWN  # a class, a variable, a name bound twice: not a function we summarise

    def _module_file(self, reference: str, origin: Path) -> Path | Value | None:
        """The file of the module ``reference`` names from ``origin``; UNKNOWN when Python
        could pick more than one, None when the project has none."""
        level = len(reference) - len(reference.lstrip("."))
        parts = [part for part in reference[level:].split(".") if part]
        if level:
            base = origin.parent
            for _ in range(level - 1):
                base = base.parent
            return self._in_folder(base, parts)
        if not parts or parts[0] in _NOT_PROJECT:
            return None
        roots = self._check.index.roots_of(origin)
        found: set[Path] = set()
        for root in roots:
            candidate = self._in_folder(root, parts)
            if isinstance(candidate, Value):
                return candidate
            if candidate is not None:
                found.add(candidate)
        if len(found) > 1:
            return UNKNOWN  # two roots hold the module: which one runs depends on sys.path
        return found.pop() if found else None

    def _in_folder(self, folder: Path, parts: list[str]) -> Path | Value | None:
        if not parts:  # ``from . import load``: the package itself
            return self._present(folder / "__init__.py")
        module_file, package_file = _candidate_files(folder, tuple(parts))
        module = self._present(module_file)
        package = self._present(package_file)
        if module is not None and package is not None:
            return UNKNOWN
        return module or package

    def _present(self, path: Path) -> Path | None:
        data, _ = self._check.read(path)
        return path if data is not None else None

    def _outline(self, path: Path) -> Outline | None:
        data, digest = self._check.read(path)
        if data is None or digest is None:
            return None
        return self._check.index.outline(path, data, digest)

    def _host(self, path: Path, name: str) -> SemanticModel | None:
        """The model that summarises ``name`` of ``path`` for this check (made once): a model
        of the function with the module's imports and the helpers it reads."""
        check = self._check
        key = (path, name)
        if key in check.hosts:
            return check.hosts[key]
        if len(check.hosts) >= MAX_MODULES:
            return None
        data, digest = check.read(path)
        outline = self._outline(path)
        host = None
        if outline is not None and digest is not None:
            module = check.index.function_module(path, digest, outline, name)
            if module is not None:
                host = check.index.host(module, outline.facts, FileImports(path, check))
        check.hosts[key] = host
        return host


_MISSING = object()


@functools.lru_cache(maxsize=4096)
def _candidate_files(folder: Path, parts: tuple[str, ...]) -> tuple[Path, Path]:
    """``folder/a/b.py`` and ``folder/a/b/__init__.py`` for the module ``a.b``: built once per
    process (pathlib's joins cost 6-10 us; a check resolves thousands of references)."""
    base = folder.joinpath(*parts)
    return base.with_name(base.name + ".py"), base / "__init__.py"


def search_roots(path: Path) -> list[Path]:
    """The folders an absolute import from ``path`` may be found under, nearest first."""
    roots: list[Path] = []
    top = path.parent
    while (top / "__init__.py").is_file() and top.parent != top:
        top = top.parent
    roots.append(top)
    roots.append(path.parent)
    project = next((folder for folder in path.parents if any((folder / m).exists() for m in _PROJECT_MARKERS)), None)
    if project is not None:
        roots += [project, project / "src"]
    unique: list[Path] = []
    for root in roots:
        if root not in unique and root.is_dir():
            unique.append(root)
    return unique


def _outline(text: str, facts: TextFacts) -> Outline | None:
    """What the index needs of a module, from CPython's parse of it; None when it does not
    parse, or when ``from x import *`` may bind any name."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings of the user's code stay quiet
            tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    counts: dict[str, int] = {}
    imported: dict[str, list[str | None]] = {}  # name -> the references that bind it (None: unknown)
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        statement = pending.pop()
        if isinstance(statement, (ast.Import, ast.ImportFrom)):
            for alias in statement.names:
                if alias.name == "*":
                    return None
                name = alias.asname or alias.name.split(".")[0]
                imported.setdefault(name, []).append(_reference(statement, alias))
            continue
        for name in _bound_by(statement):
            counts[name] = counts.get(name, 0) + 1
        if not isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                for child in getattr(statement, field, ()):
                    pending.extend(child.body if isinstance(child, (ast.ExceptHandler, ast.match_case)) else [child])
    # ``global load`` in any function (read from the text: a word too many only makes a name unknown).
    declared = {word for names in _GLOBAL.findall(text) for word in _WORD.findall(names)} if "global" in text else set()
    functions: dict[str, tuple[int, int]] = {}
    classes: dict[str, tuple[int, int]] = {}
    for statement in tree.body:
        name = getattr(statement, "name", "")
        if not (counts.get(name) == 1 and name not in imported and name not in declared
                and statement.end_lineno is not None):
            continue
        if isinstance(statement, ast.FunctionDef):
            first = min([statement.lineno, *(d.lineno for d in statement.decorator_list)])
            functions[name] = (first, statement.end_lineno)
        elif isinstance(statement, ast.ClassDef) and not statement.decorator_list \
                and any(_may_be_torch_module(base) for base in statement.bases):
            classes[name] = (statement.lineno, statement.end_lineno)
    imports = tuple(
        (statement.lineno, statement.end_lineno or statement.lineno, frozenset(
            [alias.asname or alias.name.split(".")[0] for alias in statement.names]
            + (["__future__"] if isinstance(statement, ast.ImportFrom) and statement.module == "__future__" else [])
        ))
        for statement in tree.body if isinstance(statement, (ast.Import, ast.ImportFrom))
    )
    unconditional = {
        alias.asname or alias.name for statement in tree.body if isinstance(statement, ast.ImportFrom)
        for alias in statement.names
    }
    reexports = {
        name: references[0] for name, references in imported.items()
        if len(references) == 1 and references[0] is not None and name in unconditional
        and name not in counts and name not in declared
    }
    lines = tuple(text.splitlines(keepends=True))
    return Outline(lines, facts, functions, imports, reexports, classes)


def _may_define(data: bytes, name: str) -> bool:
    """Whether a module's bytes may bind ``name`` to a function or to a class whose instance
    the model could know (a cheap look before its outline): not when the word is absent, nor
    when a top-level ``class name`` names no base written ``nn.``, ``torch.`` or ``Module``."""
    if not name.isascii():
        return True
    if name.encode() not in data:
        return False
    found = _class_pattern(name).search(data)
    return found is None or _TORCH_BASE.search(found.group(1) or b"") is not None


@functools.lru_cache(maxsize=4096)
def _class_pattern(name: str) -> re.Pattern[bytes]:
    return re.compile(rb"^class[ \t]+" + re.escape(name.encode()) + rb"\b[ \t]*(?:\(([^)]*)\))?", re.MULTILINE)


_TORCH_BASE = re.compile(rb"\b(?:nn|torch)[ \t]*\.|\bModule\b")


def _may_be_torch_module(base: ast.expr) -> bool:
    """A base written as ``nn.Module``, ``torch.nn.Linear`` or ``Module``: it may be in
    ``torch.nn`` (the model decides from the imports). Any other class is never parsed for
    its instance, which would be unknown."""
    while isinstance(base, ast.Attribute):
        base = base.value
    return isinstance(base, ast.Name) and base.id in ("nn", "torch", "Module")


_WORD = re.compile(r"[A-Za-z_]\w*")
# Words without which a summary says nothing a rule reads: a library the catalogue knows, a
# device, or an import from the project (whose helpers may). A snippet with none is not parsed:
# its answer is unknown (at most a literal list or number is lost, which no rule needs alone).
_KNOWING_WORDS = frozenset({
    "torch", "numpy", "cv2", "PIL", "pandas", "h5py", "imageio", "skimage", "sklearn", "matplotlib",
    "cuda", "mps", "xpu", "device",
})
_IMPORTED_MODULE = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import|import[ \t]+([\w.]+))", re.M)


def _may_know(source: str) -> bool:
    """Whether the summary of ``source`` (``Outline.source_of``) could be known."""
    if not _KNOWING_WORDS.isdisjoint(_WORD.findall(source)):
        return True
    for relative_or_from, plain in _IMPORTED_MODULE.findall(source):
        module = relative_or_from or plain
        if module.startswith(".") or module.split(".")[0] not in _NOT_PROJECT:
            return True
    return False
_GLOBAL = re.compile(r"\bglobal\b([^\n;]*)")


def _bound_by(statement: ast.stmt) -> list[str]:
    """The names a module-level statement binds itself (not in the blocks it holds)."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = list(statement.targets)
    elif isinstance(statement, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        targets = [statement.target]
    elif isinstance(statement, (ast.With, ast.AsyncWith)):
        targets = [item.optional_vars for item in statement.items if item.optional_vars is not None]
    elif isinstance(statement, ast.Delete):
        targets = list(statement.targets)
    names = [n.id for target in targets for n in ast.walk(target) if isinstance(n, ast.Name)]
    # A walrus anywhere in the statement's own expressions binds too.
    own = [value for field, value in ast.iter_fields(statement) if field not in ("body", "orelse", "finalbody", "handlers", "cases")]
    for value in own:
        for child in value if isinstance(value, list) else [value]:
            if isinstance(child, ast.AST):
                names += [n.target.id for n in ast.walk(child) if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name)]
    if isinstance(statement, ast.Try):
        names += [h.name for h in statement.handlers if h.name]
    return names


def _reference(statement: ast.Import | ast.ImportFrom, alias: ast.alias) -> str | None:
    """What ``from X import name`` binds, as a reference (``import`` statements: None)."""
    if isinstance(statement, ast.Import):
        return None
    source = "." * statement.level + (statement.module or "")
    return f"{source}{alias.name}" if source.endswith(".") or not source else f"{source}.{alias.name}"




def _module_level(statements: object) -> list[cst.CSTNode]:
    """The import statements of the module's body, in its nested blocks too (not in
    functions or classes)."""
    found: list[cst.CSTNode] = []
    pending: list[cst.CSTNode] = list(statements) if isinstance(statements, (list, tuple)) else []
    while pending:
        node = pending.pop()
        if type(node) is cst.FunctionDef or type(node) is cst.ClassDef:
            continue
        if type(node) is cst.SimpleStatementLine:
            found.extend(small for small in node.body if (type(small) is cst.Import or type(small) is cst.ImportFrom))
        elif type(node) is cst.IndentedBlock or type(node) is cst.SimpleStatementSuite:
            pending.extend(node.body)
        elif isinstance(node, (cst.If, cst.While, cst.For, cst.With, cst.Try, cst.TryStar, cst.Else, cst.Finally,
                               cst.ExceptHandler, cst.ExceptStarHandler)):
            for field in ("body", "orelse", "finalbody"):
                child = getattr(node, field, None)
                if isinstance(child, cst.CSTNode):
                    pending.append(child)
            pending.extend(getattr(node, "handlers", ()))
        elif type(node) is cst.Match:
            pending.extend(case.body for case in node.cases)
    return found


def import_reference(node: cst.ImportFrom, alias: cst.ImportAlias) -> str | None:
    """What ``from X import name`` binds, as a reference: ``.data.load``, ``.load``
    (``from . import load``), ``pkg.io.load``."""
    target = import_target(alias)
    if target is None or (node.module is None and not node.relative):
        return None
    module = (dotted(node.module) or "") if node.module is not None else ""
    source = "." * len(node.relative) + module
    return f"{source}{target}" if source.endswith(".") or not source else f"{source}.{target}"


def split_reference(reference: str) -> tuple[str, str] | None:
    """The module and the name of a reference: ``.data.load`` -> (``.data``, ``load``),
    ``.load`` -> (``.``, ``load``), ``pkg.io.load`` -> (``pkg.io``, ``load``)."""
    level = len(reference) - len(reference.lstrip("."))
    module, _, name = reference[level:].rpartition(".")
    if not name or not (module or level):
        return None
    return "." * level + module, name


def import_counts(module: cst.Module) -> dict[str, int]:
    """How many import statements of the module's body (nested blocks too) bind each name."""
    counts: dict[str, int] = {}
    for node in _module_level(module.body):
        names = node.names if (type(node) is cst.Import or type(node) is cst.ImportFrom) else ()
        for alias in names if not isinstance(names, cst.ImportStar) else ():
            name = bound_name(alias)
            if name:
                counts[name] = counts.get(name, 0) + 1
    return counts
