# source: https://github.com/stepjam/PyRep/pull/26
# title: Make vision sensor images compatible with pytorch
# cause: helper-return
# what happened: torch.from_numpy(image) raised "some of the strides of a given numpy array are negative": the sensor helper returned np.flip(...) after its .copy()
import numpy as np
import torch


def simGetVisionSensorImage(buffer, resolution):
    img = np.frombuffer(buffer, np.float32).copy()
    img = img.reshape(resolution[1], resolution[0], 3)
    img = np.flip(img, 0)
    return img


def simGetVisionSensorImageFixed(buffer, resolution):
    img = np.frombuffer(buffer, np.float32).reshape(resolution[1], resolution[0], 3)
    return np.flip(img, 0).copy()


def capture(buffer, resolution):
    image = simGetVisionSensorImage(buffer, resolution)
    t = torch.from_numpy(image)  # expect: TNP102
    t_ok = torch.from_numpy(simGetVisionSensorImageFixed(buffer, resolution))  # ok
    return t, t_ok
