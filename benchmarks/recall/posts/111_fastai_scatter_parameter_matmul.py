# source: https://github.com/fastai/course-v3/issues/455
# title: Can't call numpy() on Variable that requires grad (lesson2-sgd)
# cause: implicit-conversion
# what happened: RuntimeError: Can't call numpy() on Variable that requires grad, raised by plt.scatter(x[:,0], x@a) once a is an nn.Parameter
import matplotlib.pyplot as plt
import torch
from torch import nn

n = 100
x = torch.ones(n, 2)
x[:, 0].uniform_(-1., 1)
a = torch.tensor([3., 2])
y = x @ a + torch.rand(n)
plt.scatter(x[:, 0], y)  # ok

a = nn.Parameter(torch.tensor([-1., 1]))
plt.scatter(x[:, 0], y)  # ok
plt.scatter(x[:, 0], x @ a)  # expect: TNP205
with torch.no_grad():
    plt.scatter(x[:, 0], x @ a)  # ok
