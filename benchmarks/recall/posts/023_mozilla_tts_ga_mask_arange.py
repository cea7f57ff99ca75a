# source: https://github.com/mozilla/TTS/issues/473
# title: RuntimeError: Expected all tensors to be on the same device, cuda:0 and cpu (guided attention loss)
# cause: factory-ignores-device
# what happened: RuntimeError: Expected all tensors to be on the same device, but found at least two devices, cuda:0 and cpu, in _make_ga_mask
import torch
from torch import nn


class GuidedAttentionLoss(nn.Module):
    def __init__(self, sigma=0.4):
        super().__init__()
        self.sigma = sigma

    @staticmethod
    def _make_ga_mask(ilen, olen, sigma):
        grid_x, grid_y = torch.meshgrid(torch.arange(olen), torch.arange(ilen))  # expect: TNP311
        grid_x, grid_y = grid_x.float(), grid_y.float()
        return 1.0 - torch.exp(-(grid_y / ilen - grid_x / olen) ** 2 / (2 * (sigma ** 2)))

    def forward(self, att_ws, ilens, olens):
        ga_mask = self._make_ga_mask(ilens.max(), olens.max(), self.sigma)
        return torch.mean(ga_mask * att_ws)
