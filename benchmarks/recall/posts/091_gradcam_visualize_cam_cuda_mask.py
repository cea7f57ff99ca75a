# source: https://github.com/1Konny/gradcam_plus_plus-pytorch/issues/5
# title: TypeError: can't convert CUDA tensor to numpy (visualize_cam)
# cause: implicit-conversion
# what happened: TypeError: can't convert CUDA tensor to numpy inside np.uint8(255 * mask.squeeze()) for the GPU saliency mask
import cv2
import numpy as np
import torch


def visualize_cam(mask, img):
    heatmap = cv2.applyColorMap(np.uint8(255 * mask.squeeze()), cv2.COLORMAP_JET)  # expect: TNP205
    heatmap = torch.from_numpy(heatmap).permute(2, 0, 1).float().div(255)  # ok
    b, g, r = heatmap.split(1)
    heatmap = torch.cat([r, g, b])
    result = heatmap + img.cpu()
    return heatmap, result.div(result.max()).squeeze()


def run(gradcam, normed_torch_img, torch_img):
    mask, _ = gradcam(normed_torch_img.cuda())  # expect: TNP302
    return visualize_cam(mask, torch_img)
