# source: https://github.com/msminhas93/DeepLabv3FineTuning/issues/16
# title: Analysis.ipynb cv2.imread BGR2RGB conversion
# cause: rank-from-transpose
# what happened: the notebook fed cv2's BGR image as RGB; the transpose + reshape itself copies, so the tensor made from it is contiguous (precision probe)
import cv2
import torch


def predict(model, ino):
    img = cv2.imread(f'./CrackForest/Images/{ino:03d}.jpg').transpose(2, 0, 1).reshape(1, 3, 320, 480)
    t = torch.from_numpy(img)  # ok
    with torch.no_grad():
        a = model(t.type(torch.cuda.FloatTensor) / 255)
    return a
