# source: https://github.com/pytorch/vision/issues/804
# title: `UserWarning` when applying `Normalize`
# cause: tensor-of-tensor
# what happened: UserWarning: To copy construct from a tensor ..., at mean = torch.tensor(mean, dtype=torch.float32) when Normalize got tensors for mean and std
import torch
from torch import tensor


def normalize(tensor_img, mean, std):
    mean = torch.tensor(mean, dtype=torch.float32)  # expect: TNP108
    std = torch.tensor(std, dtype=torch.float32)  # expect: TNP108
    return (tensor_img - mean[:, None, None]) / std[:, None, None]


mean_t = tensor([1.0, 2.0, 3.0])
std_t = tensor([1.0, 2.0, 3.0])
t = tensor([1.0, 2.0, 3.0]).view(3, 1, 1)
out = normalize(t, mean_t, std_t)
