# source: https://github.com/pytorch/pytorch/issues/21630
# title: How to accerlate dataloader?
# cause: per-sample-loop
# what happened: iterating the dataset and moving each item with data.to(gpu) took a lot of time (and the moved copy was thrown away)
import torch

gpu = torch.device("cuda")  # expect: TNP301
dataset = [torch.randn(3, 32, 32) for _ in range(10000)]
for i, data in enumerate(dataset):
    data.to(gpu)  # expect: TNP401, TNP404
