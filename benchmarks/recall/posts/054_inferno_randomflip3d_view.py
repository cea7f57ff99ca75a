# source: https://github.com/inferno-pytorch/inferno/pull/203
# title: changed view to copy (RandomFlip3D)
# cause: chain
# what happened: torch.from_numpy applied directly after RandomFlip3D complained that negative strides are not supported; the transform had to return a copy
import numpy as np
import torch


class RandomFlip3D:
    def __init__(self):
        self.rng = np.random.RandomState()

    def volume_function(self, volume):
        if self.rng.uniform() > 0.5:
            volume = volume[:, :, ::-1]
        if self.rng.uniform() > 0.5:
            volume = volume[:, ::-1, :]
        return volume


volume = np.random.rand(32, 64, 64).astype('float32')
transform = RandomFlip3D()
tensor = torch.from_numpy(transform.volume_function(volume))  # expect: TNP102
tensor_ok = torch.from_numpy(transform.volume_function(volume).copy())  # ok
