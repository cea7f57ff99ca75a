# source: https://github.com/pytorch/pytorch/issues/37000
# title: Bad interaction between no_grad and numpy conversion
# cause: direct
# what happened: RuntimeError: Can't call numpy() on Variable that requires grad inside torch.no_grad() (allowed since the fix: a precision probe)
import torch

a = torch.rand(10, requires_grad=True)

with torch.no_grad():
    b = a.numpy()  # ok
