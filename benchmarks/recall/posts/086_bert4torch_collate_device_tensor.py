# source: https://github.com/Tongjilibo/bert4torch/issues/149
# title: DataLoader num_workers > 0 raises an error
# cause: direct
# what happened: with num_workers > 0 the DataLoader failed, because collate_fn builds its tensors with device=device (CUDA) inside the worker processes
import numpy as np
import torch
from torch.utils.data import DataLoader

device = 'cuda' if torch.cuda.is_available() else 'cpu'


def sequence_padding(inputs, value=0):
    length = max(len(x) for x in inputs)
    return np.array([np.concatenate([x, [value] * (length - len(x))]) for x in inputs])


def collate_fn(batch):
    batch_token_ids, batch_labels = [], []
    for token_ids, labels in batch:
        batch_token_ids.append(token_ids)
        batch_labels.append(labels)
    batch_token_ids = torch.tensor(sequence_padding(batch_token_ids), dtype=torch.long, device=device)  # expect: TNP305
    batch_labels = torch.tensor(sequence_padding(batch_labels), dtype=torch.long, device=device)  # expect: TNP305
    return batch_token_ids, batch_labels


train_dataloader = DataLoader([([1, 2], [0, 1])] * 64, batch_size=16, num_workers=2, collate_fn=collate_fn)
