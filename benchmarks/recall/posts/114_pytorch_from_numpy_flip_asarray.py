# source: https://github.com/pytorch/pytorch/issues/92680
# title: ValueError: At least one stride in the given numpy array is negative
# cause: library-producer
# what happened: ValueError: At least one stride in the given numpy array is negative, from torch.from_numpy(np.flip(np.asarray([1, 34])))
import numpy as np
import torch

t = torch.from_numpy(np.flip(np.asarray([1, 34])))  # expect: TNP102
fixed = torch.from_numpy(np.flip(np.asarray([1, 34])).copy())  # ok
