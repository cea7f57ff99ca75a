# source: https://github.com/pytorch/pytorch/issues/13918
# title: Pytorch very slow to convert list of numpy arrays into tensors
# cause: direct
# what happened: torch.tensor(a) of a list of 100000 small arrays took about 6 s; torch.tensor(np.array(a)) took under 1 s
import numpy as np
import torch

a = [np.random.randint(0, 10, size=(7, 7, 3)) for _ in range(100000)]
b = torch.tensor(a)  # expect: TNP104
c = torch.tensor(np.array(a))  # expect: TNP101
d = torch.from_numpy(np.stack(a))  # ok
