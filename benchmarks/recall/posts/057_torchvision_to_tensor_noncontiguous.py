# source: https://github.com/pytorch/vision/issues/2484
# title: tensor is noncontinuous when passing numpy object to to_tensor
# cause: rank-from-transpose
# what happened: to_tensor returned a non-contiguous tensor for numpy input (torch.from_numpy of pic.transpose((2, 0, 1))); views of it failed downstream
import numpy as np
import torch


def to_tensor(pic):
    if isinstance(pic, np.ndarray):
        if pic.ndim == 2:
            pic = pic[:, :, None]
        img = torch.from_numpy(pic.transpose((2, 0, 1)))  # expect: TNP103
        if isinstance(img, torch.ByteTensor):
            return img.float().div(255)
        return img
    raise TypeError(type(pic))

