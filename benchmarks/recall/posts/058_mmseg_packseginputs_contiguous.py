# source: https://github.com/open-mmlab/mmsegmentation/pull/2604
# title: [Enhancement] Replace numpy ascontiguousarray with torch contiguous to speed-up
# cause: rank-from-transpose
# what happened: a speed-up PR: both ways of making the CHW tensor contiguous are correct (precision probe)
import numpy as np
import torch


def pack_img(img):
    if len(img.shape) < 3:
        img = np.expand_dims(img, -1)
    if not img.flags.c_contiguous:
        img = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))  # ok
    else:
        img = torch.from_numpy(img).permute(2, 0, 1).contiguous()  # ok
    return img


def pack_img_new(img):
    return torch.from_numpy(img.transpose(2, 0, 1)).contiguous()  # ok
