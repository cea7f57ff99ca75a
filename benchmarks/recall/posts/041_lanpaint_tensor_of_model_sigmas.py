# source: https://github.com/scraed/LanPaint/issues/38
# title: UserWarning: to copy a construct...
# cause: tensor-of-tensor
# what happened: UserWarning: To copy construct from a tensor ..., at torch.tensor(<model_sampling>.sigmas, device=sigmas.device)
import torch


class LanPaintSampler:
    def __init__(self, inner_model):
        self.inner_model = inner_model

    def prepare(self, sigmas):
        model_sampling = self.inner_model.model_patcher.get_model_object("model_sampling")
        self.model_sigmas = torch.cat((
            torch.tensor([0.], device=sigmas.device),  # ok
            torch.tensor(model_sampling.sigmas, device=sigmas.device),  # expect: TNP108
        ))
        return self.model_sigmas
