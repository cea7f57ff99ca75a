# source: https://github.com/sefibk/KernelGAN/issues/12
# title: can't run in my MacBook Pro 2017 without NVDIA graphic card
# cause: guard-by-name
# what happened: AttributeError: module 'torch._C' has no attribute '_cuda_setDevice' from set_gpu_device(), then the same failure at Generator(conf).cuda()
import os

import torch
import torch.nn as nn


class Config:
    def __init__(self, gpu_id=0):
        self.gpu_id = gpu_id

    def set_gpu_device(self):
        """Sets the GPU device if one is given"""
        if os.environ.get('CUDA_VISIBLE_DEVICES', '') == '':
            os.environ['CUDA_VISIBLE_DEVICES'] = str(self.gpu_id)
            torch.cuda.set_device(0)  # expect: TNP309
        else:
            torch.cuda.set_device(self.gpu_id)  # expect: TNP309


class KernelGAN:
    def __init__(self, conf):
        self.G = nn.Conv2d(3, 3, 3).cuda()  # expect: TNP302
        self.D = nn.Conv2d(3, 1, 3).cuda()  # expect: TNP302
