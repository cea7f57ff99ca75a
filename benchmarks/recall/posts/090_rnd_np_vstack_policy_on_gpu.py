# source: https://github.com/jcwleo/random-network-distillation-pytorch/pull/14
# title: TypeError: can't convert CUDA tensor to numpy (np.vstack(total_policy))
# cause: helper-return
# what happened: TypeError: can't convert CUDA tensor to numpy at np.vstack(total_policy): get_action returned the policy as a detached GPU tensor
import numpy as np
import torch
import torch.nn.functional as F


class RNDAgent:
    def __init__(self, model, device):
        self.model = model
        self.device = device

    def get_action(self, state):
        state = torch.Tensor(state).to(self.device)  # expect: TNP105
        policy, value_ext, value_int = self.model(state)
        action_prob = F.softmax(policy, dim=-1).data.cpu().numpy()  # ok
        action = action_prob.argmax(axis=-1)
        return action, value_ext.data.cpu().numpy().squeeze(), value_int.data.cpu().numpy().squeeze(), policy.detach()


def collect(agent, states, steps):
    total_policy = []
    for _ in range(steps):
        actions, value_ext, value_int, policy = agent.get_action(np.float32(states) / 255.)
        total_policy.append(policy)
    total_logging_policy = np.vstack(total_policy)  # expect: TNP205
    return total_logging_policy
