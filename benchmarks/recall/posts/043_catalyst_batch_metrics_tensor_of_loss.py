# source: https://github.com/catalyst-team/catalyst/issues/1222
# title: runner.batch_metrics UserWarning: To copy construct from a tensor
# cause: tensor-of-tensor
# what happened: UserWarning: To copy construct from a tensor ..., because runner.batch_metrics['loss'] is a tensor re-wrapped by torch.tensor(v, device=...)
import torch


class CustomRunner:
    def __init__(self, model, criterion, device):
        self.model = model
        self.criterion = criterion
        self.device = device
        self.batch_metrics = {}

    def handle_batch(self, batch):
        estimated = self.model(batch["mixture"])
        self.batch_metrics["loss"] = self.criterion(estimated, batch["target"])

    def log_metrics(self):
        loss = self.batch_metrics["loss"]
        return torch.tensor(loss, device=self.device)  # expect: TNP108
