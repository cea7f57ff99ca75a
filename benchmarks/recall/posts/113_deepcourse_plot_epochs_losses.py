# source: https://github.com/arthurdouillard/deepcourse/issues/11
# title: Error When Running Automatic Differentiation with Autograd
# cause: implicit-conversion
# what happened: RuntimeError: Can't call numpy() on Tensor that requires grad, raised by plt.plot(epochs, losses); fixed by losses.append(loss.detach())
import matplotlib.pyplot as plt
import torch


def fit(x, y, n_epochs=100, lr=0.1):
    w = torch.randn(1, requires_grad=True)
    b = torch.randn(1, requires_grad=True)
    epochs, losses = [], []
    for epoch in range(n_epochs):
        loss = ((w * x + b - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
            w.grad.zero_()
            b.grad.zero_()
        epochs.append(epoch)
        losses.append(loss)
    plt.subplot(1, 2, 1)
    plt.plot(epochs, losses)  # expect: TNP205
