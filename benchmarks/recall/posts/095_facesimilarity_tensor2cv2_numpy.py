# source: https://github.com/chflame163/ComfyUI_FaceSimilarity/issues/10
# title: TypeError: can't convert cuda device type tensor to numpy
# cause: guard-by-name
# what happened: TypeError: can't convert cuda:0 device type tensor to numpy at npimage = image.numpy() in the conversion helper tensor2cv2
import cv2
import numpy as np
import torch


def tensor2cv2(image: torch.Tensor) -> np.ndarray:
    if image.dim() == 4:
        image = image.squeeze()
    npimage = image.numpy()  # expect: TNP201
    cv2image = np.uint8(npimage * 255 / npimage.max())
    return cv2.cvtColor(cv2image, cv2.COLOR_RGB2BGR)

