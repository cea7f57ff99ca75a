# source: https://github.com/sdpkjc/abcdrl/pull/2
# title: Improve the performance of the sample data switching device
# cause: direct
# what happened: sampling from the replay buffer built each batch with torch.tensor(...).to(...); replaced by torch.as_tensor(..., device=...) for speed
import numpy as np
import torch


class ReplayBuffer:
    def __init__(self, obs_dim, size, device):
        self.obs_buf = np.zeros((size, obs_dim), dtype=np.float32)
        self.rew_buf = np.zeros(size, dtype=np.float32)
        self.device = torch.device(device)
        self.size = size

    def sample(self, batch_size):
        idxs = np.random.randint(0, self.size, size=batch_size)
        obs = torch.tensor(self.obs_buf[idxs]).to(self.device)  # expect: TNP303
        rew = torch.as_tensor(self.rew_buf[idxs], device=self.device)  # ok
        return obs, rew
