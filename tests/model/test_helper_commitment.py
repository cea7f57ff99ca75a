"""A project helper that returns only with CUDA committed commits its caller's module
(``cuda_guards.commits_on_every_return``): which helper bodies prove it, and that the
answer follows the helper's file when it changes."""

from __future__ import annotations

from pathlib import Path

import pytest

import torchbridge

CALLER = '''\
import torch

import setup_helpers


def main(args, model):
    setup_helpers.init(args)
    return model.cuda()
'''


def _codes(root: Path, helper: str) -> set[tuple[int, str]]:
    (root / "setup_helpers.py").write_text(helper, encoding="utf-8")
    caller = root / "train.py"
    caller.write_text(CALLER, encoding="utf-8")
    return {(f.line, f.code or "") for f in torchbridge.check_source(CALLER, filename=str(caller), select=["TNP302"])}


COMMITTING = {
    "set_device, then a return": "import torch\n\ndef init(args):\n    torch.cuda.set_device(0)\n    return args\n",
    "an NCCL group": "import torch.distributed as dist\n\ndef init(args):\n    dist.init_process_group('nccl')\n",
    "a raise without CUDA": "import torch\n\ndef init(args):\n    if not torch.cuda.is_available():\n"
                            "        raise RuntimeError('GPU needed')\n",
    "exit in the else": "import os\nimport torch\n\ndef init(args):\n    if torch.cuda.is_available():\n"
                        "        args.gpu = 0\n    else:\n        os._exit(1)\n",
}

NOT_COMMITTING = {
    "a return before": "import torch\n\ndef init(args):\n    if args.cpu:\n        return\n    torch.cuda.set_device(0)\n",
    "set_device in a try": "import torch\n\ndef init(args):\n    try:\n        torch.cuda.set_device(0)\n"
                           "    except RuntimeError:\n        pass\n",
    "a gloo group": "import torch.distributed as dist\n\ndef init(args):\n    dist.init_process_group('gloo')\n",
    "a flag, not a CUDA check": "import sys\n\ndef init(args):\n    if not args.gpu:\n        sys.exit(1)\n",
    "an elif path without CUDA": "import sys\nimport torch\n\ndef init(args):\n    if torch.cuda.is_available():\n"
                                 "        pass\n    elif args.cpu_ok:\n        pass\n    else:\n        sys.exit(1)\n",
    "a coroutine": "import torch\n\nasync def init(args):\n    torch.cuda.set_device(0)\n",
    "a parameter named torch": "import torch\n\ndef init(torch):\n    torch.cuda.set_device(0)\n",
    "not a function": "import torch\n\ninit = print\n",
}


@pytest.mark.parametrize("helper", list(COMMITTING.values()), ids=list(COMMITTING))
def test_a_committing_helper_commits_the_caller(tmp_path, helper):
    assert _codes(tmp_path, helper) == set()


@pytest.mark.parametrize("helper", list(NOT_COMMITTING.values()), ids=list(NOT_COMMITTING))
def test_other_helpers_commit_nothing(tmp_path, helper):
    assert _codes(tmp_path, helper) == {(8, "TNP302")}


def test_the_answer_follows_the_helper_file(tmp_path):
    assert _codes(tmp_path, COMMITTING["set_device, then a return"]) == set()
    assert _codes(tmp_path, NOT_COMMITTING["a return before"]) == {(8, "TNP302")}
    assert _codes(tmp_path, COMMITTING["set_device, then a return"]) == set()
