# source: https://github.com/pytorch/pytorch/issues/28761
# title: torch.tensor() is very slow when it is passed an h5py Dataset
# cause: library-producer
# what happened: torch.tensor(testfile['data']) took 421 ms; torch.tensor(np.array(testfile['data'])) took 2.8 ms
import h5py
import numpy as np
import torch

testfile = h5py.File('testfile.h5', 'w')
testfile['data'] = torch.eye(1000)
slow = torch.tensor(testfile['data'])
fast = torch.tensor(np.array(testfile['data']))  # expect: TNP101
