# source: https://github.com/pytorch/pytorch/issues/47160
# title: Spurious "NumPy array is not writeable" warning on torch.tensor(np_array)
# cause: read-only-array
# what happened: torch.tensor(a) of a read-only array warned although torch.tensor always copies (precision probe: the copy is the right call here)
import numpy
import torch

a = numpy.arange(5.)
a.flags.writeable = False
t = torch.tensor(a)  # ok
u = torch.from_numpy(a.copy())  # ok
