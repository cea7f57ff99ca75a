# source: https://github.com/erizmr/UnLiteFlowNet-PIV/issues/5
# title: sample = torch.Tensor((sample_1, sample_2))
# cause: library-producer
# what happened: UserWarning: Creating a tensor from a list of numpy.ndarrays is extremely slow, at the tensor built from two PIL images read with np.asarray
import numpy as np
import torch
from PIL import Image


class FlowDataset(torch.utils.data.Dataset):
    def __init__(self, data_index_list, data):
        self.data_index_list = data_index_list
        self.data = data

    def __len__(self):
        return len(self.data_index_list)

    def __getitem__(self, idx):
        sample_ind = self.data_index_list[idx]
        sample_1 = np.asarray(Image.open(self.data[0][sample_ind])) * 1.0 / 255.0
        sample_2 = np.asarray(Image.open(self.data[1][sample_ind])) * 1.0 / 255.0
        sample = torch.Tensor((sample_1, sample_2))  # expect: TNP104
        return sample
