# source: https://github.com/stepfun-ai/SteptronOss/pull/38
# title: fix: Add synchronization for CUDA to CPU data copy
# cause: non-blocking-read
# what happened: tensor_to_dict issued a CUDA->CPU copy with non_blocking=True and copy_() consumed the CPU buffer at once, reading incomplete data
import torch


def tensor_to_dict(buffer, metas, target_device):
    out = {}
    offset = 0
    for name, (shape, dtype, numel) in metas.items():
        chunk = buffer[offset:offset + numel].view(dtype).view(shape)
        offset += numel
        t = chunk.to(target_device, non_blocking=True)  # expect: TNP405
        dst = torch.empty(shape, dtype=dtype)
        dst.copy_(t)
        out[name] = dst
    return out

