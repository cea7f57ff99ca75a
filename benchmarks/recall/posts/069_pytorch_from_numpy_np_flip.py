# source: https://github.com/pytorch/pytorch/issues/92680
# title: ValueError: At least one stride in the given numpy array is negative
# cause: direct
# what happened: ValueError: At least one stride in the given numpy array is negative, for torch.from_numpy(np.flip(...)); the poster asked why no copy is made automatically
import numpy as np
import torch

t = torch.from_numpy(np.flip(np.asarray([1, 34])))  # expect: TNP102
u = torch.from_numpy(np.flip(np.asarray([1, 34])).copy())  # ok
