# source: https://github.com/pytorch/pytorch/issues/5442
# title: torch.from_numpy doesn't respect read-only arrays
# cause: read-only-array
# what happened: the tensor made from a read-only array could be written (arr2 += 1 changed the "read-only" array)
import numpy as np
import torch

arr = np.zeros((1000 * 250 * 1000,))
arr.flags['WRITEABLE'] = False
arr2 = torch.from_numpy(arr)  # expect: TNP107
arr2 += 1
print(arr[0], arr2[0])
