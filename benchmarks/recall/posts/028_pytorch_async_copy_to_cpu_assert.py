# source: https://github.com/pytorch/pytorch/issues/140296
# title: asynchronous copies from accelerator to cpu: what should be the expected behaviour?
# cause: non-blocking-read
# what happened: assert (x == y).all() fails unless torch.cuda.synchronize() runs between the non-blocking device-to-host copies and the read
import torch

x = torch.arange(1000, device="cuda")  # expect: TNP301
y = torch.arange(1000, device="cuda")  # expect: TNP301
x = x.to("cpu", non_blocking=True)  # expect: TNP405
y = y.to("cpu", non_blocking=True)  # expect: TNP405
assert (x == y).all()

a = torch.arange(1000, device="cpu")
b = torch.arange(1000, device="cpu")
a = a.to("cuda", non_blocking=True)  # expect: TNP301
b = b.to("cuda", non_blocking=True)  # expect: TNP301
assert (a == b).all()
