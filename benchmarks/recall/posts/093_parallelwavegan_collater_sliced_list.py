# source: https://github.com/kan-bayashi/ParallelWaveGAN/issues/367
# title: Creating a tensor from a list of numpy.ndarrays is extremely slow
# cause: subscript-arithmetic
# what happened: UserWarning: Creating a tensor from a list of numpy.ndarrays is extremely slow, at y_batch = torch.tensor(y_batch, dtype=torch.float).unsqueeze(1)
import numpy as np
import torch


class Collater:
    def __init__(self, batch_max_steps=20480, hop_size=256, aux_context_window=2):
        self.batch_max_steps = batch_max_steps
        self.hop_size = hop_size
        self.batch_max_frames = batch_max_steps // hop_size
        self.aux_context_window = aux_context_window

    def __call__(self, batch):
        xs, cs = [b[0] for b in batch], [b[1] for b in batch]
        start_frames = np.array([np.random.randint(0, len(c) - self.batch_max_frames) for c in cs])
        x_starts = start_frames * self.hop_size
        x_ends = x_starts + self.batch_max_steps
        y_batch = [x[start:end] for x, start, end in zip(xs, x_starts, x_ends)]
        c_batch = [c[start:start + self.batch_max_frames] for c, start in zip(cs, start_frames)]
        y_batch = torch.tensor(y_batch, dtype=torch.float).unsqueeze(1)  # expect: TNP104
        c_batch = torch.tensor(c_batch, dtype=torch.float).transpose(2, 1)  # expect: TNP104
        return y_batch, c_batch
