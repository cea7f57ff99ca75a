# source: https://github.com/areal-project/AReaL/pull/308
# title: use sourceTensor.detach().clone() rather than torch.tensor(sourceTensor)
# cause: tensor-of-tensor
# what happened: UserWarning: To copy construct from a tensor ... rather than torch.tensor(sourceTensor), at the sum of per-microbatch loss weights
import torch


def loss_weight_fn(mb):
    return mb["loss_mask"].count_nonzero()


def total_weight(mb_list):
    total_loss_weight = torch.tensor(sum([loss_weight_fn(mb) for mb in mb_list.mbs]), dtype=torch.float32)  # expect: TNP108
    n_tokens = torch.tensor([mb["loss_mask"].shape[-1] for mb in mb_list.mbs])  # ok
    return total_loss_weight, n_tokens
