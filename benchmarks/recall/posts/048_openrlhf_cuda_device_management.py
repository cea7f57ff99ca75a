# source: https://github.com/OpenRLHF/OpenRLHF/pull/1292
# title: refactor: use device-agnostic PyTorch accelerator APIs
# cause: accelerator-portability
# what happened: CUDA-specific calls (set_device, current_device, empty_cache, synchronize) kept common code paths from running on non-CUDA builds
import os

import torch
import torch.distributed as dist


def setup_distributed(timeout=None):
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    torch.cuda.set_device(local_rank)  # expect: TNP309
    dist.init_process_group(backend="nccl", timeout=timeout)
    return torch.cuda.current_device()  # expect: TNP309


def offload_states(model):
    model.to("cpu")
    torch.cuda.empty_cache()  # expect: TNP309
    torch.cuda.synchronize()  # expect: TNP309
