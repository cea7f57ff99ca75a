# source: https://github.com/samet-akcay/ganomaly/issues/26
# title: TypeError: can't convert CUDA tensor to numpy
# cause: implicit-conversion
# what happened: TypeError: can't convert CUDA tensor to numpy, raised by sklearn roc_curve(labels, scores) on self.gt_labels / self.an_scores
import torch
from sklearn.metrics import roc_curve, auc


def roc(labels, scores):
    fpr, tpr, _ = roc_curve(labels, scores)
    return auc(fpr, tpr)


class Ganomaly:
    def __init__(self, opt, dataloader):
        self.opt = opt
        self.dataloader = dataloader
        self.device = torch.device("cuda:0" if self.opt.device != 'cpu' else "cpu")  # expect: TNP301

    def test(self):
        n = len(self.dataloader['test'].dataset)
        self.an_scores = torch.zeros(size=(n,), dtype=torch.float32, device=self.device)
        self.gt_labels = torch.zeros(size=(n,), dtype=torch.long, device=self.device)
        # ... filled batch by batch ...
        auc_value = roc(self.gt_labels, self.an_scores)  # expect: TNP205
        return auc_value
