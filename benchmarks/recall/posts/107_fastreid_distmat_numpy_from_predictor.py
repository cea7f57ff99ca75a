# source: https://github.com/JDAI-CV/fast-reid/pull/509
# title: Fix Error: TypeError: can't convert cuda:0 device type tensor to numpy.
# cause: helper-return
# what happened: TypeError: can't convert cuda:0 device type tensor to numpy at distmat = distmat.numpy(): the demo predictor yielded features still on the GPU
import torch
import torch.nn.functional as F


class FeatureExtractionDemo:
    def __init__(self, model, device):
        self.device = device
        self.model = model.to(device)

    def run_on_loader(self, data_loader):
        for batch in data_loader:
            with torch.no_grad():
                feats = self.model(batch["images"].to(self.device))
            yield F.normalize(feats), batch["targets"], batch["camids"]


def visualize(demo, test_loader, num_query):
    feats = []
    for (feat, pid, camid) in demo.run_on_loader(test_loader):
        feats.append(feat)
    feats = torch.cat(feats, dim=0)
    q_feat, g_feat = feats[:num_query], feats[num_query:]
    distmat = 1 - torch.mm(q_feat, g_feat.t())
    distmat = distmat.numpy()  # expect: TNP201
    return distmat
