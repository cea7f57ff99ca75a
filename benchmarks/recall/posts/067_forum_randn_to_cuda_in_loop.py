# source: https://discuss.pytorch.org/t/is-there-anyway-to-load-data-into-gpu-directly/147718
# title: Is there anyway to load data into GPU directly?
# cause: direct
# what happened: torch.randn(shape).to(torch.device('cuda')) in a loop took 24 s, torch.randn(shape, device='cuda') took 1.7 s
import time

import torch

shape = [300, 300, 300]
a = time.time()
for _ in range(100):
    randomTensorA = torch.randn(shape).to(torch.device('cuda'))  # expect: TNP303, TNP301
b = time.time()
print('Elapsed Time: %f' % (b - a))
for _ in range(100):
    randomTensorB = torch.randn(shape, device='cuda')  # expect: TNP301
