"""What loading the library catalogue costs, against the same table kept as TOML.

The catalogue (``src/torchbridge/model/catalogue``) is kept as Python modules of plain
records. This measures, side by side in one process, what an import of them runs
(unmarshalling their compiled code and building the records) and what ``tomllib.loads``
takes to parse the same entries written as TOML (before building any record from them).
Best of 15 interleaved rounds each.

    python benchmarks/catalogue_load.py
"""

from __future__ import annotations

import marshal
import time
from pathlib import Path

import tomllib

from torchbridge.model import catalogue
from torchbridge.model.catalogue import libraries, numpy_calls, schema, torch_calls

FIELDS = ("name", "returns", "how", "layout", "fresh", "ndim", "ndim_from_shape", "dtype", "size_at", "converts",
          "reads", "example", "conversion", "doc", "note")


def as_toml() -> str:
    lines = []
    for entry in catalogue.entries():
        lines.append("[[call]]")
        for field in FIELDS:
            value = getattr(entry, field)
            if value is None or value == "" or value == () or value is False:
                continue
            value = getattr(value, "value", value)
            if isinstance(value, bool):
                lines.append(f"{field} = true")
            elif isinstance(value, int):
                lines.append(f"{field} = {value}")
            elif isinstance(value, tuple):
                items = ", ".join(str(x) if isinstance(x, int) else f'"{x}"' for x in value)
                lines.append(f"{field} = [{items}]")
            else:
                lines.append(f'{field} = """{value}"""')
    return "\n".join(lines)


def main() -> None:
    modules = (schema, numpy_calls, torch_calls, libraries)
    compiled = [(m.__name__, marshal.dumps(compile(Path(m.__file__).read_text(encoding="utf-8"), m.__file__, "exec")))
                for m in modules]
    text = as_toml()

    def records() -> None:
        for name, blob in compiled:
            exec(marshal.loads(blob), {"__name__": name, "__package__": "torchbridge.model.catalogue"})

    best_py = best_toml = float("inf")
    for _ in range(15):
        start = time.perf_counter()
        records()
        best_py = min(best_py, time.perf_counter() - start)
        start = time.perf_counter()
        tomllib.loads(text)
        best_toml = min(best_toml, time.perf_counter() - start)
    print(f"{len(catalogue.entries())} entries: Python records {best_py * 1000:.1f} ms, "
          f"tomllib.loads of the same table {best_toml * 1000:.1f} ms ({best_toml / best_py:.1f}x)")


if __name__ == "__main__":
    main()
