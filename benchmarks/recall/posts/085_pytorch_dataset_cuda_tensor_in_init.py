# source: https://github.com/pytorch/pytorch/issues/40403
# title: Cannot re-initialize CUDA in forked subprocess
# cause: self-attribute
# what happened: RuntimeError: Cannot re-initialize CUDA in forked subprocess; the Dataset keeps a CUDA tensor made in __init__ and returns it from __getitem__ in the DataLoader workers
import random

import torch
import torch.utils.data as data


class DummyDataset(data.Dataset):
    def __init__(self, num_classes):
        super(DummyDataset, self).__init__()
        self.tensor = torch.randn(3, 224, 224, device=torch.device('cuda'))  # expect: TNP301
        self.num_classes = num_classes

    def __getitem__(self, index):
        torch.manual_seed(index)  # ok
        random.seed(index)
        return self.tensor, random.randint(0, self.num_classes - 1)  # expect: TNP305

    def __len__(self):
        return 1000


loader = data.DataLoader(DummyDataset(10), batch_size=32, num_workers=4)
