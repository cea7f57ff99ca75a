# source: https://github.com/Hzzone/pytorch-openpose/pull/16
# title: TypeError: can't convert CUDA tensor to numpy (python/hand.py)
# cause: self-attribute
# what happened: TypeError: can't convert CUDA tensor to numpy at output = self.model(data).numpy(): self.model was moved to the GPU in __init__
import numpy as np
import torch
import torch.nn as nn


class handpose_model(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 22, 3, padding=1)

    def forward(self, x):
        return self.conv(x)


class Hand(object):
    def __init__(self, model_path):
        self.model = handpose_model()
        if torch.cuda.is_available():
            self.model = self.model.cuda()  # ok

    def __call__(self, oriImg):
        im = np.transpose(np.float32(oriImg[:, :, :, np.newaxis]), (3, 2, 0, 1)) / 256 - 0.5
        im = np.ascontiguousarray(im)
        data = torch.from_numpy(im).float()
        if torch.cuda.is_available():
            data = data.cuda()  # ok
        with torch.no_grad():
            output = self.model(data).numpy()  # expect: TNP201
        return output
