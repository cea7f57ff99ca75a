# source: https://github.com/pytorch/pytorch/issues/86264
# title: to("cpu", non_blocking=True) work weird
# cause: non-blocking-read
# what happened: values read right after x.to("cpu", non_blocking=True) were wrong; they were right only after a time.sleep(1)
import time

import torch

x = torch.randn(4096, 4096, device="cuda")  # expect: TNP301
y = (x @ x).to("cpu", non_blocking=True)  # expect: TNP405
print(y[0, :4].tolist())
time.sleep(1)
print(y[0, :4].tolist())
