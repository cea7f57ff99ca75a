# source: https://github.com/pytorch/vision/issues/4183
# title: MNIST Download Raises 'UserWarning: The given NumPy array is not writeable'
# cause: read-only-array
# what happened: UserWarning at torch.from_numpy(parsed.astype(m[2], copy=False)): the frombuffer array of the file bytes is read-only
import numpy as np
import torch

SN3_TYPEMAP = {8: (torch.uint8, np.uint8, np.uint8), 13: (torch.float32, np.dtype('>f4'), 'f4')}


def read_sn3_pascalvincent_tensor(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], 'big')
    nd = magic % 256
    ty = magic // 256
    m = SN3_TYPEMAP[ty]
    s = [int.from_bytes(data[4 * (i + 1): 4 * (i + 2)], 'big') for i in range(nd)]
    parsed = np.frombuffer(data, dtype=m[1], offset=(4 * (nd + 1)))
    return torch.from_numpy(parsed.astype(m[2], copy=False)).view(*s)  # expect: TNP107
