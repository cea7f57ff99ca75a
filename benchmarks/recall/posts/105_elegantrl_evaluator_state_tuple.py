# source: https://github.com/AI4Finance-Foundation/ElegantRL/issues/106
# title: UserWarning: Creating a tensor from a list of numpy.ndarrays is extremely slow.
# cause: per-sample-loop
# what happened: UserWarning: Creating a tensor from a list of numpy.ndarrays is extremely slow, at s_tensor = torch.as_tensor((state,), ...) once per environment step
import torch


def get_episode_return_and_step(env, act, device, max_step):
    episode_return = 0.0
    state = env.reset()
    for episode_step in range(max_step):
        s_tensor = torch.as_tensor((state,), dtype=torch.float32, device=device)  # expect: TNP104
        a_tensor = act(s_tensor)
        action = a_tensor.detach().cpu().numpy()[0]  # ok
        state, reward, done, _ = env.step(action)
        episode_return += reward
        if done:
            break
    return episode_return, episode_step
