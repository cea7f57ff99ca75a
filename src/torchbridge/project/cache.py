"""The result cache: a file's findings, kept until anything that could change them changes.

An entry is keyed by everything a file's findings depend on: the file's bytes (hashed), its
suffix, the torchbridge code (the version and a fingerprint of the installed package's files,
so an edited checkout never reads results of its older self), the Python and LibCST
versions, and the file's settings (the rules enabled for it after per-file ignores, the rule
options, the torch version). Rules never look at a file's name, so a file moved or copied
elsewhere hits the same entry; the name is put back into the findings on reading.

Findings may also rest on the project's other modules (``model.project_index``): an entry
records every file its check consulted, with the hash of its content (or that it was
absent), and the path of the file it was made for (a relative import means another module
elsewhere). Such an entry hits only for that path, and only while every file it consulted
still has the content it had: editing, creating or deleting one is a miss.

The cache lives in ``.torchbridge_cache/`` in the project root (the folder of the
configuration file that applies, else the working directory), or where ``--cache-dir`` or
``TORCHBRIDGE_CACHE_DIR`` says. It holds ``CACHEDIR.TAG`` (backup tools skip it) and a
``.gitignore`` of ``*``, and one JSON file per entry, sharded by the key's first two hex
digits. Entries are written to a temporary file and renamed into place, so two runs over one
tree never see half an entry; an entry that does not parse, names another key or another
schema is a miss, and is rewritten. A folder that cannot be written is reported once, and the
run goes on without the cache. Only ``check`` results are cached; fixing never reads it.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, fields
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..diagnostics.finding import INTERNAL_ERROR, IO_ERROR, Finding
from ..version import __version__
from .writing import write_new_atomically

if TYPE_CHECKING:
    from ..diagnostics.contract import ContractEntry
    from .discovery import Target

CACHE_DIR_NAME = ".torchbridge_cache"
CACHE_DIR_ENV = "TORCHBRIDGE_CACHE_DIR"
SCHEMA = 4  # the entry format; a change makes every older entry a miss
MAX_AGE_DAYS = 30  # an entry unused this long is deleted
_PRUNED_MARKER = "last-pruned"
# Diagnostics of the file itself are as stable as findings; a crash or an unreadable file is not.
_UNCACHEABLE = frozenset({INTERNAL_ERROR, IO_ERROR})
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by torchbridge.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


class ResultCache:
    """Findings by content and settings, under one folder per project root (or one given)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory  # None: each project root's .torchbridge_cache
        self._unusable: set[Path] = set()  # folders that could not be set up: no reads, no writes
        self._used: dict[Path, set[str]] = {}  # per folder, the content hashes this run looked up

    @classmethod
    def for_run(cls, cache_dir: Path | None) -> ResultCache:
        """``--cache-dir``, else ``TORCHBRIDGE_CACHE_DIR``, else each project's own folder."""
        if cache_dir is None and os.environ.get(CACHE_DIR_ENV):
            cache_dir = Path(os.environ[CACHE_DIR_ENV])
        return cls(cache_dir.absolute() if cache_dir is not None else None)

    def folder(self, root: Path) -> Path:
        return self.directory if self.directory is not None else root.absolute() / CACHE_DIR_NAME

    def prepare(self, roots: set[Path]) -> None:
        """Create the folders this run uses; a folder that cannot be created or written is
        reported once on standard error and left out."""
        for folder in sorted({self.folder(root) for root in roots}):
            try:
                folder.mkdir(parents=True, exist_ok=True)
                for name, text in (("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", "# Created by torchbridge.\n*\n")):
                    if not (folder / name).exists():
                        write_new_atomically(folder / name, text.encode())
            except OSError as exc:
                self._unusable.add(folder)
                sys.stderr.write(
                    f"torchbridge: warning: cannot use the cache folder {folder} ({exc.strerror or exc}); "
                    "running without the cache\n"
                )

    def entry_for(self, target: Target, data: bytes) -> Path | None:
        """Where the entry for this file's bytes and settings lives (None: the folder is
        unusable): under a folder named by the bytes' hash, so that the entries of content
        no file has any more can be found without reading them (``prune``)."""
        settings = target.settings
        folder = self.folder(settings.root)
        if folder in self._unusable:
            return None
        content = hashlib.sha256(data).hexdigest()
        self._used.setdefault(folder, set()).add(content)
        shaping = (settings.codes_for(target.path), settings.rule_options, settings.torch_version)
        digest = hashlib.sha256()
        for part in (_code_fingerprint(), _settings_text(*shaping), target.path.suffix, content):
            digest.update(part.encode("utf-8", "surrogatepass") + b"\0")
        return folder / content[:2] / content[2:] / f"{digest.hexdigest()[:32]}.json"

    def load(self, entry: Path, filename: str) -> list[Finding] | None:
        """The cached findings, named ``filename``; None when there is no usable entry."""
        try:
            with open(entry, "rb") as handle:
                document = json.loads(handle.read())
            if document["schema"] != SCHEMA or document["key"] != _key(entry):
                return None
            if not _dependencies_current(document, filename):
                return None
            found = [_finding(filename, record) for record in document["findings"]]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None  # missing, torn, foreign or from another schema: a miss, rewritten later
        with contextlib.suppress(OSError):
            os.utime(entry)  # its age counts from its last use (``prune``)
        return found

    def store(
        self, entry: Path, findings: list[Finding], dependencies: dict[str, str | None] | None = None,
        filename: str | None = None,
    ) -> None:
        """Keep the findings, if they can be read back exactly; a failed write is only a miss
        next time. ``dependencies``: the other files the check consulted (path: content hash,
        None for absent), for the file named ``filename``."""
        if any(f.name in _UNCACHEABLE for f in findings if f.is_diagnostic):
            return
        records = [_record(f) for f in findings]
        document: dict[str, Any] = {"schema": SCHEMA, "key": _key(entry), "findings": records}
        if dependencies:
            if filename is None:
                return  # findings that rest on other files, for no known file: not kept
            document["path"] = os.path.abspath(filename)
            document["dependencies"] = dependencies
        payload = json.dumps(document)
        # Only what round-trips is kept: a value JSON cannot carry must never come back changed.
        again = [_finding(f.filename, r) for f, r in zip(findings, json.loads(payload)["findings"])]
        if again != findings or any(a.fix != f.fix for a, f in zip(again, findings)):
            return
        with contextlib.suppress(OSError):
            entry.parent.mkdir(parents=True, exist_ok=True)
            write_new_atomically(entry, payload.encode())


    def prune(self, whole: set[Path]) -> None:
        """Delete what no current file can hit. In the folder of a project root the run
        covered whole (``whole``; a project's own folder, never a shared ``--cache-dir``),
        the entries of content no file of the project has any more; in every folder the
        run used, entries unused for ``MAX_AGE_DAYS`` (looked at once a day)."""
        now = time.time()
        for folder, used in self._used.items():
            if folder in self._unusable:
                continue
            if self.directory is None and folder.parent in whole:
                _remove_unused_contents(folder, used)
            marker = folder / _PRUNED_MARKER
            with contextlib.suppress(OSError):
                if now - marker.stat().st_mtime < 86_400:
                    continue
            _remove_older_than(folder, now - MAX_AGE_DAYS * 86_400)
            with contextlib.suppress(OSError):
                marker.touch()


def clear(folder: Path) -> bool:
    """Delete a cache folder, only when it is one (its ``CACHEDIR.TAG`` is torchbridge's);
    True when it was deleted."""
    try:
        tag = (folder / "CACHEDIR.TAG").read_text(encoding="utf-8")
    except OSError:
        return False
    if not tag.startswith(_CACHEDIR_TAG.splitlines()[0]) or "torchbridge" not in tag:
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return not folder.exists()


def _shards(folder: Path) -> list[Path]:
    with contextlib.suppress(OSError):
        return [p for p in folder.iterdir() if len(p.name) == 2 and p.is_dir()]
    return []


def _remove_unused_contents(folder: Path, used: set[str]) -> None:
    for shard in _shards(folder):
        with contextlib.suppress(OSError):
            for content in shard.iterdir():
                if shard.name + content.name not in used:
                    shutil.rmtree(content, ignore_errors=True)
            shard.rmdir()  # only when empty; OSError otherwise


def _remove_older_than(folder: Path, cutoff: float) -> None:
    for shard in _shards(folder):
        with contextlib.suppress(OSError):
            for content in shard.iterdir():
                with contextlib.suppress(OSError):
                    for entry in content.iterdir():
                        if entry.stat().st_mtime < cutoff:
                            entry.unlink()
                    content.rmdir()
            shard.rmdir()


def _dependencies_current(document: dict[str, Any], filename: str) -> bool:
    """The entry was made for this file, and every file its check consulted is as it was."""
    dependencies = document.get("dependencies")
    if not dependencies:
        return True
    if document.get("path") != os.path.abspath(filename):
        return False
    return dependencies_current(dependencies, _read_or_none)


def dependencies_current(dependencies: dict[str, str | None], read: Callable[[Path], bytes | None]) -> bool:
    """Every file a check consulted (path -> its SHA-256 then, None where it was missing)
    reads, through ``read``, with the same hash now. The language server passes the project
    index's reader (an open document's text before the file on disk)."""
    for path, digest in dependencies.items():
        data = read(Path(path))
        if (hashlib.sha256(data).hexdigest() if data is not None else None) != digest:
            return False
    return True


def _read_or_none(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _key(entry: Path) -> str:
    """What an entry says it is: its content and settings hashes, as its path does."""
    return f"{entry.parent.parent.name}{entry.parent.name}/{entry.stem}"


def _settings_text(codes: tuple[str, ...], options: Any, torch_version: str | None) -> str:
    """The settings that shape one file's findings: its rules, their options, the torch version."""
    return f"{','.join(codes)}|{options!r}|{torch_version}"


@cache
def _code_fingerprint() -> str:
    """The torchbridge version, the package's files (name, size, time), Python's and LibCST's versions."""
    libcst_version = _libcst_version()
    digest = hashlib.sha256(f"{__version__}|{sys.version}|{sys.implementation.cache_tag}|{libcst_version}".encode())
    package = Path(__file__).parent.parent  # all of torchbridge, not only this folder
    for path in sorted(package.rglob("*.py")):
        with contextlib.suppress(OSError):
            info = path.stat()
            digest.update(f"{path.relative_to(package).as_posix()}:{info.st_size}:{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _libcst_version() -> str:
    """LibCST's version, read from its files: importing LibCST would cost a cached run a
    third of a second."""
    spec = importlib.util.find_spec("libcst")
    for folder in (spec.submodule_search_locations or []) if spec is not None else []:
        with contextlib.suppress(OSError):
            return (Path(folder) / "_version.py").read_text(encoding="utf-8")
    return "unknown"  # pragma: no cover - a LibCST without the file


def _record(finding: Finding) -> dict[str, Any]:
    """Every field but the name (put back on reading) and the fix (recorded apart)."""
    record = {f.name: getattr(finding, f.name) for f in fields(Finding) if f.name not in ("filename", "fix")}
    record["fix"] = _fix_record(finding.fix)
    return record


def _finding(filename: str, record: dict[str, Any]) -> Finding:
    fix = record.pop("fix")
    return Finding(filename=filename, **record, fix=_fix(fix) if fix is not None else None)


def _fix_record(fix: Any) -> dict[str, Any] | None:
    if fix is None:
        return None
    return {
        "title": fix.title,
        "contract": asdict(fix.entry),
        "edits": [_fields(edit) for edit in fix.edits],
        "probe": _fields(fix.probe) if fix.probe is not None else None,
    }


def _fix(record: dict[str, Any]) -> Any:
    from ..diagnostics.edits import Edit, Fix, ProbeText

    probe = record["probe"]
    return Fix(
        record["title"], _entry(record["contract"]), tuple(Edit(**{name: _tuples(value) for name, value in edit.items()}) for edit in record["edits"]),
        ProbeText(**{name: _tuples(value) for name, value in probe.items()}) if probe is not None else None,
    )


def _entry(record: dict[str, Any]) -> ContractEntry:
    """The fix's contract entry, rebuilt whole: looking it up by key would load every rule.
    ``store`` keeps only records that read back equal to the registered entry."""
    from ..diagnostics.contract import ContractEntry, Precondition

    fields_ = {name: _tuples(value) for name, value in record.items()}
    fields_["preconditions"] = tuple(Precondition(**p) for p in record["preconditions"])
    fields_["expect"] = dict(record["expect"])
    return ContractEntry(**fields_)


def _fields(value: Any) -> dict[str, Any]:
    return {f.name: getattr(value, f.name) for f in fields(value)}


def _tuples(value: Any) -> Any:
    """JSON's lists back into the tuples the probe holds."""
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value
