# source: https://github.com/aleju/imgaug/issues/630
# title: flipud produces negative strides
# cause: chain
# what happened: Flipud flips with images[i] = image[::-1, ...]; the views have negative strides and break when converted to PyTorch tensors
import numpy as np
import torch


def augment_flipud(images, samples):
    for i, (image, sample) in enumerate(zip(images, samples)):
        if sample > 0.5:
            images[i] = image[::-1, ...]
    return images


images = [np.zeros((64, 64, 3), dtype=np.uint8) for _ in range(8)]
images_aug = augment_flipud(images, np.random.rand(8))
tensors = [torch.from_numpy(img) for img in images_aug]  # expect: TNP102
