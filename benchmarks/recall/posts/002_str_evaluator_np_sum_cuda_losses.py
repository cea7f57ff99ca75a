# source: https://github.com/HCIILAB/Scene-Text-Recognition-Recommendations/issues/2
# title: can't convert cuda:0 device type tensor to numpy
# cause: implicit-conversion
# what happened: TypeError: can't convert cuda:0 device type tensor to numpy, raised inside np.sum(losses) (Tensor.__array__)
import numpy as np
import torch


def evaluate(model, criterion, data_loader, batch_size, device):
    model.eval()
    losses = []
    with torch.no_grad():
        for images, targets in data_loader:
            images = images.to(device)
            targets = targets.to(device)
            output = model(images)
            loss = criterion(output, targets)
            losses.append(loss)
    losses = np.sum(losses) / (1.0 * (len(data_loader) - 1) * batch_size)  # expect: TNP205
    return losses
