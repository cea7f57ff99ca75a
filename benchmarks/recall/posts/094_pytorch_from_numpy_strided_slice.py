# source: https://github.com/pytorch/pytorch/issues/484
# title: torch.from_numpy mysteriously fails for noncontiguous numpy arrays
# cause: subscript-arithmetic
# what happened: in 2017 torch.from_numpy of the strided slice x[:, 1] printed garbage rows; fixed since, strides are honoured (precision probe)
import numpy as np
import torch

x = np.zeros((125,))
for i in range(125):
    x[i] = i
x.shape = (5, 5, 5)
x = x[:, 1]
print(x)
print(torch.from_numpy(x))  # ok
