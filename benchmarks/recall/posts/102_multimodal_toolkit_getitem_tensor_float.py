# source: https://github.com/georgian-io/Multimodal-Toolkit/issues/2
# title: can't convert np.ndarray of type numpy.object_.
# cause: self-attribute
# what happened: TypeError: can't convert np.ndarray of type numpy.object_ in __getitem__ at torch.tensor(self.cat_feats[idx]).float()
import pandas as pd
import torch
from torch.utils.data import Dataset as TorchDataset


def load_cat_and_num_feats(df, cat_cols, num_cols):
    cat_feats = pd.get_dummies(df[cat_cols]).values
    num_feats = df[num_cols].values
    return cat_feats, num_feats


class TorchTabularTextDataset(TorchDataset):
    def __init__(self, encodings, categorical_feats, numerical_feats, labels=None):
        self.encodings = encodings
        self.cat_feats = categorical_feats
        self.numerical_feats = numerical_feats
        self.labels = labels

    def __getitem__(self, idx):
        item = {key: torch.tensor(val[idx]) for key, val in self.encodings.items()}
        item['labels'] = torch.tensor(self.labels[idx]) if self.labels is not None else None  # ok
        item['cat_feats'] = torch.tensor(self.cat_feats[idx]).float() if self.cat_feats is not None else torch.zeros(0)  # expect: TNP106
        item['numerical_feats'] = torch.tensor(self.numerical_feats[idx]).float() if self.numerical_feats is not None else torch.zeros(0)  # expect: TNP106
        return item
