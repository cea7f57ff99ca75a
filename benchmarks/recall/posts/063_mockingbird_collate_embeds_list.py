# source: https://github.com/babysor/MockingBird/issues/731
# title: Creating a tensor from a list of numpy.ndarrays is extremely slow (training)
# cause: helper-return
# what happened: UserWarning: Creating a tensor from a list of numpy.ndarrays is extremely slow, at embeds = torch.tensor(embeds) in the synthesizer collate function
import numpy as np
import torch
from torch.utils.data import Dataset


class SynthesizerDataset(Dataset):
    def __init__(self, samples_fpaths):
        self.samples_fpaths = samples_fpaths

    def __getitem__(self, index):
        mel_path, embed_path = self.samples_fpaths[index]
        mel = np.load(mel_path).T.astype(np.float32)
        embed = np.load(embed_path)
        return mel, embed.astype(np.float32), index


def collate_synthesizer(batch):
    embeds = [x[1] for x in batch]
    embeds = torch.tensor(embeds)  # expect: TNP104
    indices = torch.tensor([x[2] for x in batch])  # ok
    return embeds, indices
