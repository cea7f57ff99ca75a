# source: https://github.com/eugenesiow/super-image/pull/9
# title: Update loader.py (np.array to avoid a warning)
# cause: subscript-arithmetic
# what happened: UserWarning: Creating a tensor from a list of numpy.ndarrays is extremely slow, at return torch.as_tensor([lr]) in load_image
import numpy as np
import torch
from PIL import Image


class ImageLoader:
    @staticmethod
    def load_image(image: Image.Image):
        lr = np.array(image.convert('RGB'))
        lr = lr[::].astype(np.float32).transpose([2, 0, 1]) / 255.0
        return torch.as_tensor([lr])  # expect: TNP104

    @staticmethod
    def load_image_fixed(image: Image.Image):
        lr = np.array(image.convert('RGB'))
        lr = lr[::].astype(np.float32).transpose([2, 0, 1]) / 255.0
        return torch.as_tensor(np.array([lr]))  # ok
