# source: https://github.com/tbepler/topaz/issues/68
# title: NumPy array Warning (micrographs are read-only)
# cause: read-only-array
# what happened: UserWarning: The given NumPy array is not writeable, because the micrograph array parsed from the file bytes is read-only
import numpy as np
import torch


def parse(content):
    header = np.frombuffer(content[:1024], dtype=np.int32)
    nx, ny = int(header[0]), int(header[1])
    array = np.frombuffer(content[1024:], dtype=np.float32).reshape(ny, nx)
    return array, header, None


def load_micrograph(path):
    with open(path, 'rb') as f:
        content = f.read()
    mic, header, header_extended = parse(content)
    return torch.from_numpy(mic)  # expect: TNP107
