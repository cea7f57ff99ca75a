# source: https://github.com/pytorch/pytorch/issues/17359
# title: Custom collate_fn fails on second epoch with multiprocessing and cuda
# cause: direct
# what happened: RuntimeError: CUDA error: initialization error, when collate_fn moves the batch to CUDA in DataLoader workers
from collections import defaultdict

import torch
import torch.utils.data


def collate_fn(data):
    batch = defaultdict(list)
    for key in data[0].keys():
        batch[key] = [s[key] for s in data]
        batch[key] = torch.Tensor(batch[key]).long()  # ok
        batch[key] = batch[key].to(torch.device('cuda'))  # expect: TNP305, TNP301
    return batch


dataset = [{'sequence': list(range(10))} for _ in range(32)]
dataloader = torch.utils.data.DataLoader(dataset, 4, num_workers=2, collate_fn=collate_fn)
