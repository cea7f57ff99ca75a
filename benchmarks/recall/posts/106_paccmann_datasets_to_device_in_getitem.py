# source: https://github.com/PaccMann/paccmann_datasets/issues/105
# title: Device handling in Datasets
# cause: per-sample-loop
# what happened: the datasets called tensor.to(device) in __getitem__, one sample at a time (and on the GPU inside DataLoader workers), instead of moving whole batches
import torch
from torch.utils.data import Dataset


def get_device():
    return torch.device('cuda' if torch.cuda.is_available() else 'cpu')


class SMILESTokenizerDataset(Dataset):
    def __init__(self, token_indexes, device=get_device()):
        self.token_indexes = token_indexes
        self.device = device

    def __len__(self):
        return len(self.token_indexes)

    def __getitem__(self, index):
        token_indexes = self.token_indexes[index]
        return torch.tensor(token_indexes).to(self.device)  # expect: TNP305, TNP401
