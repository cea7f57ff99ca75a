# source: https://github.com/eriklindernoren/PyTorch-Deep-Dream/issues/7
# title: Typo when checking for CUDA availability
# cause: guard-by-name
# what happened: on lines 17 and 73 `torch.cuda.is_available` is not called, so the CUDA tensor type and model.cuda() are used on machines without CUDA
import torch
import torch.nn as nn
from torch.autograd import Variable


def dream(image, model, iterations, lr):
    Tensor = torch.cuda.FloatTensor if torch.cuda.is_available else torch.FloatTensor
    image = Variable(Tensor(image), requires_grad=True)  # expect: TNP105
    for i in range(iterations):
        model.zero_grad()
        out = model(image)
        loss = out.norm()
        loss.backward()
    return image


def build_model(layers, at_layer):
    model = nn.Sequential(*layers[: (at_layer + 1)])
    if torch.cuda.is_available:
        model = model.cuda()  # expect: TNP302
    return model
