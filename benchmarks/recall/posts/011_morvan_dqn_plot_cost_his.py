# source: https://github.com/ClownW/Reinforcement-learning-with-PyTorch/issues/3
# title: 5_Deep_Q_Network: Can't call numpy() on Tensor that requires grad
# cause: implicit-conversion
# what happened: RuntimeError: Can't call numpy() on Tensor that requires grad when plotting the loss history (loss tensors kept in self.cost_his)
import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn as nn


class DeepQNetwork:
    def __init__(self, n_actions, n_features):
        self.eval_net = nn.Sequential(nn.Linear(n_features, 10), nn.ReLU(), nn.Linear(10, n_actions))
        self.optimizer = torch.optim.RMSprop(self.eval_net.parameters(), lr=0.01)
        self.loss_func = nn.MSELoss()
        self.cost_his = []

    def learn(self, b_s, q_target):
        q_eval = self.eval_net(b_s)
        loss = self.loss_func(q_eval, q_target)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        self.cost_his.append(loss)

    def plot_cost(self):
        plt.plot(np.arange(len(self.cost_his)), self.cost_his)  # expect: TNP205
        plt.show()
