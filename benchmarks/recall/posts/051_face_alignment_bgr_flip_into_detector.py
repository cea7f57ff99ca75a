# source: https://github.com/1adrianb/face-alignment/issues/259
# title: At least one stride in the given numpy array is negative
# cause: chain
# what happened: ValueError: At least one stride in the given numpy array is negative, raised at torch.from_numpy(img) in the detector for frame[..., ::-1]
import numpy as np
import torch


def detect(net, img, device):
    img = img.transpose(2, 0, 1)
    img = img.reshape((1,) + img.shape)
    img = torch.from_numpy(img).to(device, dtype=torch.float32)  # expect: TNP102
    return net(img)


def extract_bbox(frame, net, device):
    return detect(net, frame[..., ::-1], device)
