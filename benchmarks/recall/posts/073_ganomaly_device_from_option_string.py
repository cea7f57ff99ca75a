# source: https://github.com/samet-akcay/ganomaly/issues/16
# title: How to run with cpu? Actually CUDA is needed anyway?
# cause: device-branch
# what happened: with --gpu_ids -1 --ngpu 0 the model still went to CUDA (self.netg = NetG(self.opt).to(self.device)) and failed on a machine without a usable GPU
import torch
import torch.nn as nn


class NetG(nn.Module):
    def __init__(self, opt):
        super().__init__()
        self.fc = nn.Linear(opt.nz, opt.nz)


class Ganomaly:
    def __init__(self, opt, dataloader):
        self.opt = opt
        self.dataloader = dataloader
        self.device = torch.device("cuda:0" if self.opt.device != 'cpu' else "cpu")  # expect: TNP301
        self.netg = NetG(self.opt).to(self.device)
