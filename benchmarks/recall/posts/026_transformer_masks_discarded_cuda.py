# source: https://github.com/SamLynnEvans/Transformer/issues/27
# title: RuntimeError: Expected all tensors to be on the same device, cuda:0 and cpu (create_masks)
# cause: helper-return
# what happened: RuntimeError at trg_mask = trg_mask & np_mask: the no-peek mask stayed on the CPU because np_mask.cuda() was thrown away
import numpy as np
import torch
from torch.autograd import Variable


def nopeak_mask(size, opt):
    np_mask = np.triu(np.ones((1, size, size)), k=1).astype('uint8')
    np_mask = Variable(torch.from_numpy(np_mask) == 0)
    if opt.device == 0:
        np_mask = np_mask.cuda()  # expect: TNP302
    return np_mask


def create_masks(src, trg, opt):
    src_mask = (src != opt.src_pad).unsqueeze(-2)
    trg_mask = (trg != opt.trg_pad).unsqueeze(-2)
    np_mask = nopeak_mask(trg.size(1), opt)
    if trg.is_cuda:
        np_mask.cuda()  # expect: TNP404
    trg_mask = trg_mask & np_mask
    return src_mask, trg_mask
