# source: https://github.com/fastai/fastai_dev/issues/138
# title: defaults.device assignment crashes on machine without CUDA
# cause: guard-by-name
# what happened: AssertionError at import on a machine without CUDA: `torch.cuda.is_available` is missing its parentheses, so the "guard" is always true and torch.cuda.current_device() runs
import torch


class defaults:
    device = None


defaults.device = torch.cuda.current_device() if torch.cuda.is_available else torch.device('cpu')  # expect: TNP309


def to_device(b, device=defaults.device):
    return b.to(device)
