# source: https://github.com/PTB-MR/mrpro/issues/984
# title: Unexpected behavior in Dataclass.cpu()
# cause: non-blocking-read
# what happened: chunks of zeros in the coil images, at random, after IData.cpu(), which copied with non_blocking=True and nothing synchronized
import copy

import matplotlib.pyplot as plt
import torch


class Dataclass:
    def _to(self, device, non_blocking=False):
        new = copy.copy(self)
        for name, value in vars(self).items():
            if isinstance(value, torch.Tensor):
                setattr(new, name, value.to(device=device, non_blocking=non_blocking))
        return new

    def cpu(self):
        return self._to(device="cpu", non_blocking=True)  # expect: TNP405

    def to(self, device):
        return self._to(device=device, non_blocking=False)  # ok


class IData(Dataclass):
    def __init__(self, data):
        self.data = data


def show(recon_result: IData):
    img = recon_result.cpu()
    plt.imshow(img.data[0].abs().numpy())
