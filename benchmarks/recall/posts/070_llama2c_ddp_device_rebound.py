# source: https://github.com/karpathy/llama2.c/issues/531
# title: Error with torch not compiled with cuda enabled
# cause: device-branch
# what happened: AssertionError: Torch not compiled with CUDA enabled, running train.py on a Mac; device = "cuda" by default and cuda:{rank} under `if ddp:`
import os
from contextlib import nullcontext

import torch
from torch.distributed import init_process_group

device = "cuda"  # expect: TNP301
dtype = "bfloat16"
ddp = int(os.environ.get("RANK", -1)) != -1
if ddp:
    init_process_group(backend="nccl")
    ddp_local_rank = int(os.environ["LOCAL_RANK"])
    device = f"cuda:{ddp_local_rank}"  # expect: TNP301
    torch.cuda.set_device(device)  # expect: TNP309
device_type = "cuda" if "cuda" in device else "cpu"  # ok
ctx = nullcontext() if device_type == "cpu" else torch.amp.autocast(device_type=device_type, dtype=torch.bfloat16)  # ok
scaler = torch.cuda.amp.GradScaler(enabled=(dtype == "float16"))  # expect: TNP304
model = torch.nn.Linear(288, 288)
model.to(device)
