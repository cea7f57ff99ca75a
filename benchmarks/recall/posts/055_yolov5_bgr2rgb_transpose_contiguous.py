# source: https://github.com/ultralytics/yolov5/issues/11624
# title: In segmentation, BGR2RGB some problem
# cause: chain
# what happened: question why BGR->RGB is img.transpose((2, 0, 1))[::-1]; the flipped view is made contiguous before torch.from_numpy, so it works (precision probe)
import cv2
import numpy as np
import torch


def load_image(path):
    img = cv2.imread(path)
    img = img.transpose((2, 0, 1))[::-1]
    img = np.ascontiguousarray(img)
    return torch.from_numpy(img)  # ok
