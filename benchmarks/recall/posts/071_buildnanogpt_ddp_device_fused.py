# source: https://github.com/karpathy/build-nanogpt/pull/96
# title: Fix Device name when DDP is enabled
# cause: device-branch
# what happened: with DDP the device is "cuda:{rank}", not "cuda", so the fused AdamW check came out False (the device choice itself is guarded: precision probe)
import os

import torch

ddp = int(os.environ.get('RANK', -1)) != -1
if ddp:
    assert torch.cuda.is_available(), "for now i think we need CUDA for DDP"
    ddp_local_rank = int(os.environ['LOCAL_RANK'])
    device = f'cuda:{ddp_local_rank}'  # ok
    torch.cuda.set_device(device)
else:
    device = "cpu"
    if torch.cuda.is_available():
        device = "cuda"  # ok
    elif hasattr(torch.backends, "mps") and torch.backends.mps.is_available():
        device = "mps"
device_type = "cuda" if device.startswith("cuda") else "cpu"  # ok
