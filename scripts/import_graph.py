"""The import graph of src/torchbridge: its floors and its cycles, as the layout notes quote them.

A module's floor is 0 when it imports nothing of the package, else one more than the
highest floor it imports (the modules of a cycle share one floor). Imports inside functions
count: they run, only later. Imports under ``if TYPE_CHECKING:`` do not: they never run.
A cycle is a set of modules that import each other, directly or not. Packages are checked
as wholes too: ``project`` importing ``fixing`` while ``fixing`` imports ``project`` is a
cycle between packages even where no two modules form one.

    python scripts/import_graph.py            # the summary
    python scripts/import_graph.py --verbose  # every module on its floor
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent / "src"
PACKAGE = "torchbridge"
TOP, LAZY, TYPE_ONLY = "top", "lazy", "type-only"


def module_paths(source: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in sorted((source / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(source).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> list[tuple[str, str]]:
    """(imported module, how) for each import of the package in one module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[tuple[str, str]] = []

    def absolute(node: ast.ImportFrom) -> str:
        if not node.level:
            return node.module or ""
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        return ".".join(base + ([node.module] if node.module else []))

    def visit(node: ast.AST, how: str) -> None:
        for child in ast.iter_child_nodes(node):
            child_how = how
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                child_how = TYPE_ONLY
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)) and how == TOP:
                child_how = LAZY
            if isinstance(child, ast.Import):
                found.extend((alias.name, child_how) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = absolute(child)
                for alias in child.names:
                    submodule = f"{base}.{alias.name}"
                    found.append((submodule if submodule in modules else base, child_how))
            visit(child, child_how)

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), TOP)
    return [(target, how) for target, how in found if target in modules and target != name]


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components, each emitted after every component it reaches."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            components.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            connect(v)
    return components


def package_of(module: str) -> str:
    """``torchbridge.engine.lint`` -> ``engine``; a module at the root is its own package."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="list every module on its floor")
    args = parser.parse_args()

    modules = module_paths(SOURCE)
    graph: dict[str, set[str]] = {name: set() for name in modules}
    hows: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, path in modules.items():
        for target, how in imports_of(name, path, modules):
            hows[(name, target)].add(how)
            if how != TYPE_ONLY:
                graph[name].add(target)

    components = strongly_connected(graph)
    component_of = {m: i for i, c in enumerate(components) for m in c}
    floor: dict[int, int] = {}
    for i, component in enumerate(components):
        below = {component_of[t] for m in component for t in graph[m]} - {i}
        floor[i] = 1 + max((floor[b] for b in below), default=-1)
    cycles = [c for c in components if len(c) > 1]

    packages: dict[str, set[str]] = defaultdict(set)
    for name, targets in graph.items():
        packages[package_of(name)].update(package_of(t) for t in targets if package_of(t) != package_of(name))
    for name in list(packages):
        for target in packages[name]:
            packages.setdefault(target, set())
    package_cycles = [c for c in strongly_connected(dict(packages)) if len(c) > 1]

    floors = max(floor.values()) + 1
    print(
        f"{len(modules)} modules on {floors} floors; {len(cycles)} import cycles, "
        f"{len(package_cycles)} package cycles (imports under TYPE_CHECKING left out)"
    )
    for cycle in cycles:
        members = set(cycle)
        print("cycle: " + ", ".join(cycle))
        for a in cycle:
            for b in sorted(graph[a] & members):
                print(f"    {a} -> {b} ({', '.join(sorted(hows[(a, b)]))})")
    for cycle in package_cycles:
        members = set(cycle)
        print("package cycle: " + ", ".join(cycle))
        for a in cycle:
            for b in sorted(packages[a] & members):
                edges = sorted(
                    f"{m} -> {t}" for m in modules if package_of(m) == a for t in graph[m] if package_of(t) == b
                )
                print(f"    {a} -> {b}: {'; '.join(edges[:3])}{' ...' if len(edges) > 3 else ''}")
    by_floor: dict[int, list[str]] = defaultdict(list)
    for i, component in enumerate(components):
        by_floor[floor[i]].extend(component)
    for level in sorted(by_floor):
        names = sorted(m.removeprefix(PACKAGE + ".") if m != PACKAGE else "__init__" for m in by_floor[level])
        shown = names if args.verbose else names[:8] + ([f"(+{len(names) - 8})"] if len(names) > 8 else [])
        print(f"floor {level:2d} ({len(names):2d}): " + " ".join(shown))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
