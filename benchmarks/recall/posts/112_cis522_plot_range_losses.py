# source: https://github.com/CIS-522/course-content/pull/2
# title: fixed runtime error on loss plotting in section 3.5 and 4 in w2d1
# cause: implicit-conversion
# what happened: the losses collected in the training loop are tensors that require grad; plt.plot(range(num_epochs), losses) raised when converting them
import matplotlib.pyplot as plt
import torch


def train(x, y, num_epochs, lr=0.01):
    w = torch.zeros(x.shape[1], requires_grad=True)
    losses = []
    for epoch in range(num_epochs):
        l = ((x @ w - y) ** 2).mean()
        l.backward()
        with torch.no_grad():
            w -= lr * w.grad
            w.grad.zero_()
        losses.append(l)
    plt.plot(range(num_epochs), losses)  # expect: TNP205
    return w
