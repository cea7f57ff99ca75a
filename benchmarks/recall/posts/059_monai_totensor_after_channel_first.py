# source: https://github.com/Project-MONAI/MONAI/issues/219
# title: Add data contiguous check in ToTensor
# cause: rank-from-transpose
# what happened: after transforms such as moving the channel axis, the numpy array is non-contiguous and ToTensor handed a non-contiguous tensor on (the DataLoader raised)
import numpy as np
import torch


class AsChannelFirst:
    def __init__(self, channel_dim=-1):
        self.channel_dim = channel_dim

    def __call__(self, img):
        return np.moveaxis(img, self.channel_dim, 0)


class ToTensor:
    def __call__(self, img):
        return torch.from_numpy(img)  # expect: TNP103


transforms = [AsChannelFirst(), ToTensor()]
img = np.zeros((96, 96, 96, 4), dtype=np.float32)
for t in transforms:
    img = t(img)
