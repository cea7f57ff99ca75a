# source: https://github.com/pytorch/pytorch/issues/77159
# title: A somewhat cryptic error message - "Cannot re-initialize CUDA in forked subprocess"
# cause: direct
# what happened: users fell back to num_workers=0 because their Dataset moved each tensor to the GPU as its last step, which fails in forked workers
import torch
from torch.utils.data import DataLoader, Dataset


class MyDataset(Dataset):
    def __len__(self):
        return 100

    def __getitem__(self, idx):
        sample = torch.rand(3, 64, 64)
        sample = sample.to('cuda')  # expect: TNP305, TNP301
        return sample


loader = DataLoader(MyDataset(), batch_size=8, num_workers=2)
for batch in loader:
    pass
