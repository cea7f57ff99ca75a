# source: https://github.com/vllm-project/vllm/pull/36144
# title: replace `with torch.cuda.device` with `with torch.accelerator.device_index`
# cause: accelerator-portability
# what happened: `with torch.cuda.device(...)` pinned the Triton launch to CUDA; replaced with torch.accelerator.device_index for XPU support
import torch


def _bmm_chunk_fwd(a, b, chunk_size, kernel, grid):
    out = torch.empty((a.shape[0], chunk_size, chunk_size), device=a.device, dtype=a.dtype)  # ok
    with torch.cuda.device(a.device.index):  # expect: TNP309
        kernel[grid](a, b, out, chunk_size)
    return out
