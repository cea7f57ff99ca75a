# source: https://github.com/DeepReinforcementLearning/DeepReinforcementLearningInAction/issues/42
# title: Appendix A.4 (plotting the losses fails)
# cause: implicit-conversion
# what happened: RuntimeError: Can't call numpy() on Tensor that requires grad, raised by plt.plot(losses)
import numpy as np
import torch
from matplotlib import pyplot as plt


def nn(x, w1, w2):
    l1 = torch.relu(x @ w1)
    return l1 @ w2


w1 = torch.randn(784, 200, requires_grad=True)
w2 = torch.randn(200, 10, requires_grad=True)
lossfn = torch.nn.CrossEntropyLoss()
losses = []
for i in range(2500):
    x = torch.rand(1000, 784)
    target = torch.randint(0, 10, (1000,))
    loss = lossfn(nn(x, w1, w2), target)
    losses.append(loss)
    loss.backward()
plt.plot(losses)  # expect: TNP205
plt.plot(np.arange(len(losses)))  # ok
