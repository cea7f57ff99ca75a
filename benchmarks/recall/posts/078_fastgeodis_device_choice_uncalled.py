# source: https://github.com/masadcv/FastGeodis/issues/7
# title: [BUG] Testing for torch.cuda.is_available (the function not its return value) is always true
# cause: guard-by-name
# what happened: the examples failed on a Colab CPU runtime: device = "cuda" if torch.cuda.is_available else "cpu" always picks "cuda"
import numpy as np
import torch

device = "cuda" if torch.cuda.is_available else "cpu"  # expect: TNP301
image = np.random.rand(512, 512).astype(np.float32)
image_pt = torch.from_numpy(image).unsqueeze_(0).unsqueeze_(0).to(device)

device_ok = "cuda" if torch.cuda.is_available() else "cpu"  # ok
