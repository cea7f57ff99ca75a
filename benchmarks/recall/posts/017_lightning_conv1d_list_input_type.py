# source: https://github.com/Lightning-AI/pytorch-lightning/issues/2623
# title: Data is on GPU, some of the nn.Module still on CPU
# cause: module-state-not-moved
# what happened: RuntimeError: Input type (torch.cuda.FloatTensor) and weight type (torch.FloatTensor) should be the same, at the first Conv1d of a Python list
import math

import torch.nn as nn


class Conv1DClassifier(nn.Module):
    def __init__(self, num_classes):
        super(Conv1DClassifier, self).__init__()
        encoder_out_channels = 256
        n_layers = int(math.log2(encoder_out_channels))
        self.conv_layers = []  # expect: TNP310
        for layer_idx in range(n_layers):
            self.conv_layers.append(
                nn.Conv1d(in_channels=2 ** layer_idx, out_channels=2 ** (layer_idx + 1), kernel_size=64, stride=64)
            )
        self.fc1 = nn.Linear(encoder_out_channels, 128)  # ok
        self.fc3 = nn.Linear(128, num_classes)  # ok

    def forward(self, x):
        for conv_layer in self.conv_layers:
            x = conv_layer(x)
        return self.fc3(self.fc1(x.flatten(1)))
