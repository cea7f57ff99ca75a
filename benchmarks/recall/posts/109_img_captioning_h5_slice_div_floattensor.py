# source: https://github.com/sgrvinod/a-PyTorch-Tutorial-to-Image-Captioning/issues/60
# title: Why do you divide the image tensor by 255.
# cause: subscript-arithmetic
# what happened: question about img = torch.FloatTensor(self.imgs[i // self.cpi] / 255.) in CaptionDataset.__getitem__ (an HDF5 image slice scaled in NumPy, then a legacy constructor)
import json

import h5py
import torch
from torch.utils.data import Dataset


class CaptionDataset(Dataset):
    def __init__(self, data_folder, data_name, split):
        self.h = h5py.File(f"{data_folder}/{split}_IMAGES_{data_name}.hdf5", 'r')
        self.imgs = self.h['images']
        self.cpi = self.h.attrs['captions_per_image']
        with open(f"{data_folder}/{split}_CAPTIONS_{data_name}.json", 'r') as j:
            self.captions = json.load(j)

    def __getitem__(self, i):
        img = torch.FloatTensor(self.imgs[i // self.cpi] / 255.)  # expect: TNP105
        caption = torch.LongTensor(self.captions[i])  # ok
        return img, caption

    def __len__(self):
        return len(self.captions)
