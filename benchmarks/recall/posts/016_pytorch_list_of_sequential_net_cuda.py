# source: https://github.com/pytorch/pytorch/issues/4412
# title: How to use net.cuda() when Network class has list or dict which contains nn layers?
# cause: module-state-not-moved
# what happened: net.cuda() did not move the parameters of the nn.Sequential blocks kept in a list
import torch.nn as nn


class Network(nn.Module):
    def __init__(self, in_channels=8):
        super(Network, self).__init__()
        self.in_channels = in_channels
        self.convs = [  # expect: TNP310
            nn.Sequential(nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=1, padding=1)),
            nn.Sequential(nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=1, padding=1)),
        ]
        self.head = nn.ModuleList([nn.Conv2d(in_channels, 1, kernel_size=1)])  # ok

    def forward(self, x):
        output = self.convs[0](x)
        output = self.convs[1](output)
        return self.head[0](output)


net = Network()
net.cuda()  # expect: TNP302
