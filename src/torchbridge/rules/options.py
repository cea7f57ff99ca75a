"""Settings that shape what the engine and the rules do (from ``[tool.torchbridge]``), kept
apart from the rule API so that the configuration can be read without loading LibCST."""

from __future__ import annotations

from dataclasses import dataclass

# The largest source checked, in UTF-8 bytes. A MiB of real code costs about 2.5 s of CPU and
# 300 MB (12 s with 10,000 findings); the largest hand-written file of 16 public PyTorch
# projects has 300 KB.
DEFAULT_MAX_FILE_SIZE = 1 << 20


@dataclass(frozen=True)
class RuleOptions:
    device_idiom: str = "cuda"  # "accelerator": inserted device variables use torch.accelerator
    torch_version: str | None = None  # the oldest torch the project declares it supports
    max_file_size: int = DEFAULT_MAX_FILE_SIZE  # larger sources are reported, not checked
    unfixable: tuple[str, ...] = ()  # codes whose findings are reported without a fix (``fixable``/``unfixable``)
