# source: https://github.com/emadeldeen24/ECGTransForm/issues/2
# title: torch.tensor error (class weights)
# cause: library-producer
# what happened: TypeError: can't convert np.ndarray of type numpy.object_ at torch.tensor(np.array(self.cw_dict.values())).float().to(self.device)
import numpy as np
import torch


class Trainer:
    def __init__(self, cw_dict, device):
        self.cw_dict = cw_dict
        self.device = device
        self.cross_entropy = torch.nn.CrossEntropyLoss(
            weight=torch.tensor(np.array(self.cw_dict.values())).float().to(self.device))  # expect: TNP106

    def fixed_weights(self):
        weights = [float(value) for value in self.cw_dict.values()]
        weights_array = np.array(weights).astype(np.float32)
        return torch.tensor(weights_array).to(self.device)
