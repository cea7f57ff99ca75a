# source: https://github.com/tingofurro/summac/pull/18
# title: Convert histograms to nparray to avoid warning
# cause: helper-return
# what happened: UserWarning: Creating a tensor from a list of numpy.ndarrays is extremely slow, at histograms = torch.FloatTensor(histograms).to(self.device)
import numpy as np
import torch


class SummaCConv(torch.nn.Module):
    def __init__(self, n_bins=30, device="cpu"):
        super().__init__()
        self.n_bins = n_bins
        self.device = device
        self.mlp = torch.nn.Linear(n_bins, 1)

    def compute_histogram(self, image):
        full_hist, _ = np.histogram(image, range=(0.0, 1.0), bins=self.n_bins)
        return image, full_hist

    def forward(self, images):
        histograms = []
        for image in images:
            _, histogram = self.compute_histogram(image=image)
            histograms.append(histogram)
        histograms = torch.FloatTensor(histograms).to(self.device)  # expect: TNP104
        return self.mlp(histograms)
