# source: https://github.com/Lightning-AI/pytorch-lightning/issues/1429
# title: CUDA - numpy related copy error?
# cause: implicit-conversion
# what happened: TypeError: can't convert CUDA tensor to numpy when sklearn's accuracy_score got the GPU tensors of validation_step
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from sklearn.metrics import accuracy_score


class Classifier(pl.LightningModule):
    def __init__(self):
        super().__init__()
        self.l1 = torch.nn.Linear(28 * 28, 10)

    def forward(self, x):
        return self.l1(x.view(x.size(0), -1))

    def validation_step(self, batch, batch_idx):
        x, y = batch
        y_hat = self(x)
        preds = torch.argmax(y_hat, dim=1)
        val_acc = accuracy_score(y, preds)  # expect: TNP205
        val_acc_ok = accuracy_score(y.cpu().numpy(), preds.cpu().numpy())  # ok
        return {'val_loss': F.cross_entropy(y_hat, y), 'val_acc': torch.tensor(val_acc)}
