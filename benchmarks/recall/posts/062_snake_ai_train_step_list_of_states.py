# source: https://github.com/patrickloeber/snake-ai-pytorch/issues/26
# title: Torch warning: UserWarning: Creating a tensor from a list of numpy.ndarrays is extremely slow
# cause: helper-return
# what happened: UserWarning: Creating a tensor from a list of numpy.ndarrays is extremely slow, at state = torch.tensor(state, dtype=torch.float) for the replayed batch
import random
from collections import deque

import numpy as np
import torch


class Agent:
    def __init__(self, trainer):
        self.memory = deque(maxlen=100_000)
        self.trainer = trainer

    def get_state(self, game):
        state = [game.danger_straight, game.danger_right, game.danger_left]
        return np.array(state, dtype=int)

    def train_long_memory(self):
        mini_sample = random.sample(self.memory, min(1000, len(self.memory)))
        states, actions, rewards, next_states, dones = zip(*mini_sample)
        self.trainer.train_step(states, actions, rewards, next_states, dones)


class QTrainer:
    def train_step(self, state, action, reward, next_state, done):
        state = torch.tensor(state, dtype=torch.float)  # expect: TNP104
        next_state = torch.tensor(next_state, dtype=torch.float)  # expect: TNP104
        return state, next_state

    def train_step_fixed(self, state, next_state):
        state = torch.tensor(np.array(state), dtype=torch.float)  # ok
        return state
