# source: https://github.com/bessagroup/f3dasm/issues/37
# title: Fix conversion to torch tensor
# cause: self-attribute
# what happened: TypeError: can't convert np.ndarray of type numpy.object_ at return torch.tensor(self.values).float() for non-numeric columns
import pandas as pd
import torch


class Data:
    def __init__(self, data: pd.DataFrame):
        self.data = data
        self.values = data.values

    def to_torch_tensor(self):
        return torch.tensor(self.values).float()  # expect: TNP106

