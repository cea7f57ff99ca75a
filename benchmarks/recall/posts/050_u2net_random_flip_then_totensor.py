# source: https://github.com/xuebinqin/U-2-Net/issues/142
# title: ValueError: some of the strides of a given numpy array are negative
# cause: chain
# what happened: ValueError: some of the strides of a given numpy array are negative, at torch.from_numpy(tmpLbl) after the random [::-1] flip of RandomCrop
import random

import numpy as np
import torch


class RandomCrop(object):
    def __call__(self, sample):
        imidx, image, label = sample['imidx'], sample['image'], sample['label']
        if random.random() >= 0.5:
            image = image[::-1]
            label = label[::-1]
        return {'imidx': imidx, 'image': image, 'label': label}


class ToTensorLab(object):
    def __call__(self, sample):
        imidx, image, label = sample['imidx'], sample['image'], sample['label']
        tmpImg = np.zeros((image.shape[0], image.shape[1], 3))
        tmpImg[:, :, 0] = (image[:, :, 0] / np.max(image) - 0.485) / 0.229
        tmpImg = tmpImg.transpose((2, 0, 1))
        tmpLbl = label.transpose((2, 0, 1))
        return {'imidx': torch.from_numpy(imidx), 'image': torch.from_numpy(tmpImg),  # ok
                'label': torch.from_numpy(tmpLbl)}  # expect: TNP102
