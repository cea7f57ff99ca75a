# source: https://github.com/meta-pytorch/data/issues/966
# title: Placing tensors on GPU in CollatorIterDataPipe gives RuntimeError
# cause: direct
# what happened: RuntimeError: Cannot re-initialize CUDA in forked subprocess, thrown by __iter__ of CollatorIterDataPipe whose collate_fn calls .to(device)
import torch

device = torch.device("cuda")  # expect: TNP301


def collate_fn(batch):
    images = torch.stack([sample[".jpg"] for sample in batch]).to(device)  # expect: TNP305
    labels = torch.tensor([int(sample[".cls"]) for sample in batch]).to(device)  # expect: TNP305, TNP303
    return images, labels


def build(datapipe, batch_size=8):
    return datapipe.batch(batch_size).collate(collate_fn)
