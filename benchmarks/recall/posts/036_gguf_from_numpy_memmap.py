# source: https://github.com/city96/ComfyUI-GGUF/issues/232
# title: The given NumPy array is not writable, and PyTorch does not support non-writable tensors
# cause: read-only-array
# what happened: UserWarning: The given NumPy array is not writable at torch_tensor = torch.from_numpy(tensor.data) (a read-only memory map)
import gguf
import torch


def gguf_sd_loader(path):
    reader = gguf.GGUFReader(path)
    state_dict = {}
    for tensor in reader.tensors:
        torch_tensor = torch.from_numpy(tensor.data)  # expect: TNP107
        state_dict[str(tensor.name)] = torch_tensor
    return state_dict
