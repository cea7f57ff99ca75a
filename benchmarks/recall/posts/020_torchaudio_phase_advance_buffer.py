# source: https://github.com/pytorch/audio/pull/457
# title: phase_advance should be a buffer so it moves device correctly
# cause: module-state-not-moved
# what happened: TimeStretch().cuda() on a CUDA spectrogram: RuntimeError: expected device cuda:0 but got device cpu
import math

import torch
import torchaudio.functional as F


class TimeStretch(torch.nn.Module):
    def __init__(self, hop_length=None, n_freq=201, fixed_rate=None):
        super(TimeStretch, self).__init__()
        self.fixed_rate = fixed_rate
        n_fft = (n_freq - 1) * 2
        hop_length = hop_length if hop_length is not None else n_fft // 2
        self.phase_advance = torch.linspace(0, math.pi * hop_length, n_freq)[..., None]  # expect: TNP310

    def forward(self, complex_specgrams, overriding_rate=None):
        rate = self.fixed_rate if overriding_rate is None else overriding_rate
        return F.phase_vocoder(complex_specgrams, rate, self.phase_advance)


class TimeStretchFixed(torch.nn.Module):
    def __init__(self, hop_length=200, n_freq=201):
        super().__init__()
        self.register_buffer('phase_advance', torch.linspace(0, math.pi * hop_length, n_freq)[..., None])  # ok

    def forward(self, complex_specgrams, rate):
        return F.phase_vocoder(complex_specgrams, rate, self.phase_advance)
