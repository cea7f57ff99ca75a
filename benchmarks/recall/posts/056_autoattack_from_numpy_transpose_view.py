# source: https://github.com/fra31/auto-attack/pull/66
# title: replace '.view()' with '.reshape()'
# cause: rank-from-transpose
# what happened: RuntimeError: view size is not compatible with input tensor's size and stride, inside AutoAttack, for images made by torch.from_numpy(np.transpose(..., (0, 3, 1, 2)))
import numpy as np
import torch


def run_attack(adversary, images, labels):
    torch_images = torch.from_numpy(np.transpose(images, (0, 3, 1, 2))).float().cuda()  # expect: TNP103, TNP302
    torch_labels = torch.from_numpy(labels).float()  # ok
    return adversary.run_standard_evaluation(torch_images, torch_labels, bs=1)
