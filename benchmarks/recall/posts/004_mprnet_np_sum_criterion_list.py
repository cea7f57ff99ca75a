# source: https://github.com/swz30/MPRNet/issues/91
# title: Loss problem (np.sum over per-stage losses)
# cause: implicit-conversion
# what happened: TypeError: can't convert cuda:0 device type tensor to numpy from np.sum([criterion_char(restored[j], target) ...])
import numpy as np
import torch


def train_step(model_restoration, criterion_char, criterion_edge, input_, target, optimizer):
    target = target.cuda()  # expect: TNP302
    input_ = input_.cuda()  # expect: TNP302
    restored = model_restoration(input_)
    loss_char = np.sum([criterion_char(restored[j], target) for j in range(len(restored))])  # expect: TNP205
    loss_edge = torch.sum(torch.stack([criterion_edge(restored[j], target) for j in range(len(restored))]))  # ok
    loss = loss_char + (0.05 * loss_edge)
    loss.backward()
    optimizer.step()
    return loss.item()
