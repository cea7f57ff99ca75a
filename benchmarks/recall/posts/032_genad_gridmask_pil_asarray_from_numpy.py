# source: https://github.com/wzzheng/GenAD/issues/13
# title: UserWarning: The given NumPy array is not writeable (grid_mask.py)
# cause: read-only-array
# what happened: UserWarning: The given NumPy array is not writeable, and PyTorch does not support non-writeable tensors, at mask = torch.from_numpy(mask)
import numpy as np
import torch
from PIL import Image


class GridMask:
    def __init__(self, rotate=1, ratio=0.5):
        self.rotate = rotate
        self.ratio = ratio

    def __call__(self, x):
        n, c, h, w = x.size()
        hh, ww = int(1.5 * h), int(1.5 * w)
        mask = np.ones((hh, ww), np.float32)
        r = np.random.randint(self.rotate)
        mask = Image.fromarray(np.uint8(mask))
        mask = mask.rotate(r)
        mask = np.asarray(mask)
        mask = mask[(hh - h) // 2:(hh - h) // 2 + h, (ww - w) // 2:(ww - w) // 2 + w]
        mask = torch.from_numpy(mask).to(x.dtype).to(x.device)  # expect: TNP107
        return x * mask.view(1, 1, h, w)
