# source: https://github.com/zhuangdizhu/FedGen/issues/1
# title: Can't call numpy() on Tensor that requires grad
# cause: implicit-conversion
# what happened: RuntimeError: Can't call numpy() on Tensor that requires grad, raised by np.sum over a list of loss tensors
import numpy as np
import torch.nn as nn


def evaluate(model, loader):
    loss_fn = nn.NLLLoss()
    test_samples, test_losses = [], []
    for x, y in loader:
        output = model(x)
        loss = loss_fn(output, y)
        test_losses.append(loss)
        test_samples.append(y.shape[0])
    glob_loss = np.sum([x * y for (x, y) in zip(test_samples, test_losses)]).item() / np.sum(test_samples)  # expect: TNP205
    glob_acc = np.sum(test_samples)  # ok
    return glob_loss, glob_acc
