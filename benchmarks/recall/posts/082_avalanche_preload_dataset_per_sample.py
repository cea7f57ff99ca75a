# source: https://github.com/ContinualAI/avalanche/issues/839
# title: Feature request: Add an option to preload the dataset into GPU
# cause: per-sample-loop
# what happened: 100% CPU load from minibatch transfers; the posted monkey patch preloads the dataset by moving every sample's tensors to the GPU one at a time
import torch

data_device = "cuda:0"  # expect: TNP301


def patch_dataloader_init(oldinit):
    def newinit(self, dataset, *args, pin_memory=None, **kwargs):
        dsdata = [
            tuple(
                tensor.to(data_device) if isinstance(tensor, torch.Tensor) else tensor  # expect: TNP401
                for tensor in tensortup
            )
            for tensortup in dataset
        ]
        oldinit(self, dsdata, *args, **kwargs)
    return newinit
