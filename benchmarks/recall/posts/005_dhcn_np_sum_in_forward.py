# source: https://github.com/xiaxin1998/DHCN/issues/8
# title: RuntimeError in model.py forward: np.sum(final, 0)
# cause: implicit-conversion
# what happened: RuntimeError: Can't call numpy() on Tensor that requires grad, from item_embeddings = np.sum(final, 0)
import numpy as np
import torch
import torch.nn as nn


class HyperConv(nn.Module):
    def __init__(self, layers, emb_size=100):
        super().__init__()
        self.layers = layers
        self.emb_size = emb_size

    def forward(self, adjacency, embedding):
        item_embeddings = embedding
        final = [item_embeddings]
        for i in range(self.layers):
            item_embeddings = torch.sparse.mm(adjacency, item_embeddings)
            final.append(item_embeddings)
        item_embeddings = np.sum(final, 0)  # expect: TNP205
        return item_embeddings
