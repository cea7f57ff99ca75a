# source: https://github.com/numpy/numpy/issues/23349
# title: np.ascontiguousarray doesn't process negative strides of single-channel CWH data
# cause: chain
# what happened: ValueError: At least one stride in the given numpy array is negative, although the flipped array went through np.ascontiguousarray (a length-1 axis keeps its stride)
import numpy as np
import torch

a = np.zeros((1, 10, 20))[::-1]
b = np.ascontiguousarray(a)
b.strides
c = torch.from_numpy(b)  # expect: TNP102
d = torch.from_numpy(a.copy())  # ok
