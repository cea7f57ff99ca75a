# source: https://discuss.pytorch.org/t/non-blocking-device-to-host-transfer/42353/5
# title: Non-blocking device to host transfer
# cause: non-blocking-read
# what happened: how to copy GPU->CPU asynchronously; the answer: the copy must be synchronized (torch.cuda.synchronize / stream sync) before its content is used
import torch

gpu_tensor = torch.randn(1 << 20, device="cuda")  # expect: TNP301
cpu_copy = gpu_tensor.to(device="cpu", non_blocking=True)  # expect: TNP405
print(cpu_copy.sum())

pinned = torch.empty(1 << 20, pin_memory=True)
pinned.copy_(gpu_tensor, non_blocking=True)  # ok
torch.cuda.synchronize()
print(pinned.sum())
