# source: https://github.com/foolwood/DCFNet_pytorch/issues/23
# title: TypeError: can't convert CUDA tensor to numpy (tracker)
# cause: subscript-arithmetic
# what happened: TypeError: can't convert CUDA tensor to numpy at np.unravel_index(idx[best_scale], ...): idx came from torch.max of the GPU response
import numpy as np
import torch


def track(net, im, bbox, crop_chw, net_average_image, scale_penalties, num_scale, crop_sz, net_input_size):
    patch_crop = np.zeros((num_scale, 3, crop_sz, crop_sz), np.float32)
    for i in range(num_scale):
        patch_crop[i, :] = crop_chw(im, bbox, crop_sz)
    search = patch_crop - net_average_image
    response = net(torch.Tensor(search).cuda())  # expect: TNP105, TNP302
    peak, idx = torch.max(response.view(num_scale, -1), 1)
    peak = peak.data.cpu().numpy() * scale_penalties  # ok
    best_scale = np.argmax(peak)
    r_max, c_max = np.unravel_index(idx[best_scale], net_input_size)  # expect: TNP205
    return r_max, c_max
