# source: https://github.com/jmclong/random-fourier-features-pytorch/pull/4
# title: fix: PositionalEncoder arange not properly being created on device of Tensor
# cause: factory-ignores-device
# what happened: torch.arange(m) was created on the CPU regardless of the input tensor, so the encoder failed for CUDA inputs
import numpy as np
import torch
import torch.nn as nn


def positional_encoding(v, sigma, m):
    j = torch.arange(m)  # expect: TNP311
    coeffs = 2 * np.pi * sigma ** (j / m)
    vp = coeffs * torch.unsqueeze(v, -1)
    vp_cat = torch.cat((torch.cos(vp), torch.sin(vp)), dim=-1)
    return vp_cat.flatten(-2, -1)


class PositionalEncoding(nn.Module):
    def __init__(self, sigma, m):
        super().__init__()
        self.sigma = sigma
        self.m = m

    def forward(self, v):
        return positional_encoding(v, self.sigma, self.m)
