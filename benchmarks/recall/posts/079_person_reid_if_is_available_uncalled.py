# source: https://github.com/layumi/Person_reID_baseline_pytorch/pull/63
# title: Update train.py (if torch.cuda.is_available: -> if torch.cuda.is_available():)
# cause: guard-by-name
# what happened: `if torch.cuda.is_available:` tests the function object, so the model was moved with .cuda() even without CUDA
import torch
import torch.nn as nn

model = nn.Linear(2048, 751)
if torch.cuda.is_available:
    model = model.cuda()  # expect: TNP302
criterion = nn.CrossEntropyLoss()
