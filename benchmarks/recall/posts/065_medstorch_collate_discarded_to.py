# source: https://github.com/Oufattole/meds-torch/pull/16
# title: Everything is text (review: ensure tensors are moved to the device)
# cause: direct
# what happened: review finding: `tensors.to(device)` does not move the tensor; the batch stayed on the CPU
import torch


def collate_triplets(batch, device=None):
    collated_batch = dict()
    tensors = torch.stack([torch.as_tensor(each["code"]) for each in batch])
    tensors.to(device)  # expect: TNP404
    collated_batch["code"] = tensors
    outcome = [each["outcome"] for each in batch]
    collated_batch["outcome"] = torch.as_tensor(outcome, device=device)  # ok
    return collated_batch
