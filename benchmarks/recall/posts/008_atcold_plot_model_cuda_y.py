# source: https://github.com/Atcold/NYU-DLSP20/issues/11
# title: TypeError in plot_ (spiral classification)
# cause: implicit-conversion
# what happened: TypeError: can't convert CUDA tensor to numpy, raised in plot_model(X, y, model) because only X was moved back to the CPU
import matplotlib.pyplot as plt
import torch

device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


def plot_data(X, y):
    plt.scatter(X.numpy()[:, 0], X.numpy()[:, 1], c=y, s=20, cmap=plt.cm.Spectral)


def plot_model(X, y, model):
    model.cpu()
    plot_data(X, y)


X = torch.zeros(3000, 2).to(device)  # expect: TNP303
y = torch.zeros(3000, dtype=torch.long).to(device)  # expect: TNP303
model = torch.nn.Linear(2, 3).to(device)
X = X.cpu()
plot_model(X, y, model)  # expect: TNP205
