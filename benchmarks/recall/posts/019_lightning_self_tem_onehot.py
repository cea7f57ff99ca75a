# source: https://github.com/Lightning-AI/pytorch-lightning/issues/3674
# title: Tensor is not moved to the expected device
# cause: module-state-not-moved
# what happened: self.tem, a plain tensor attribute made in __init__, stayed on the CPU while the model ran on the GPU
import pytorch_lightning as pl
import torch
import torch.nn.functional as F


class LitModel(pl.LightningModule):
    def __init__(self) -> None:
        super().__init__()
        self.seg = 20
        self.num_joints = 25
        self.tem = self.one_hot(self.seg, self.num_joints)  # expect: TNP310
        self.tem = self.tem.permute(2, 0, 1)  # expect: TNP310
        self.layer_1 = torch.nn.Linear(28 * 28, 128)
        self.layer_2 = torch.nn.Linear(128, 10)

    def one_hot(self, spa, tem) -> torch.Tensor:
        y = torch.arange(spa).unsqueeze(-1)
        y_onehot = torch.FloatTensor(spa, spa)
        y_onehot.zero_()
        y_onehot.scatter_(1, y, 1)
        return y_onehot.unsqueeze(0).repeat(tem, 1, 1)

    def forward(self, x):
        print(self.tem.device)
        x = F.relu(self.layer_1(x.view(x.size(0), -1)))
        return self.layer_2(x)
