# source: https://github.com/woven-by-toyota/l5kit/pull/346
# title: Test & fix L5Kit notebooks
# cause: per-sample-loop
# what happened: the notebook ran the model frame by frame: one dataset item, collated alone and moved to the device, per iteration
import torch
from torch.utils.data.dataloader import default_collate

device = torch.device("cuda:0" if torch.cuda.is_available() else "cpu")


def eval_frames(model, eval_dataset):
    preds = []
    for frame_number in range(0, len(eval_dataset), len(eval_dataset) // 20):
        data = eval_dataset[frame_number]
        data_batch = default_collate([data])
        data_batch = {k: v.to(device) for k, v in data_batch.items()}  # expect: TNP401
        preds.append(model(data_batch))
    return preds
