# source: https://github.com/benedekrozemberczki/pytorch_geometric_temporal/issues/18
# title: RuntimeError: All input tensors must be on the same device. Received cuda:0 and cpu
# cause: factory-ignores-device
# what happened: the initial hidden state H made by torch.zeros(X.shape[0], ...) stayed on the CPU while X was on the GPU
import torch


class DCRNN(torch.nn.Module):
    def __init__(self, in_channels, out_channels, K):
        super(DCRNN, self).__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.linear_z = torch.nn.Linear(in_channels + out_channels, out_channels)

    def _set_hidden_state(self, X, H):
        if H is None:
            H = torch.zeros(X.shape[0], self.out_channels)  # expect: TNP311
        return H

    def forward(self, X, edge_index, edge_weight=None, H=None):
        H = self._set_hidden_state(X, H)
        Z = torch.sigmoid(self.linear_z(torch.cat([X, H], dim=1)))
        return Z * H
