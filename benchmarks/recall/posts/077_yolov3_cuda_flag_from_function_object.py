# source: https://github.com/eriklindernoren/PyTorch-YOLOv3/issues/35
# title: torch.cuda.is_available bug
# cause: guard-by-name
# what happened: test.py and train.py always set cuda = True, because the flag tests the function object torch.cuda.is_available instead of calling it
import torch
import torch.nn as nn

cuda = True if torch.cuda.is_available else False
model = nn.Conv2d(3, 255, 1)
if cuda:
    model = model.cuda()  # expect: TNP302
Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor
imgs = torch.zeros(1, 3, 416, 416).type(Tensor)

cuda_ok = torch.cuda.is_available()
if cuda_ok:
    model = model.cuda()  # ok
