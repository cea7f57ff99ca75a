# source: https://github.com/gidariss/FeatureLearningRotNet/issues/12
# title: Problem in data transformations
# cause: helper-return
# what happened: ValueError: some of the strides of a given numpy array are negative, from self.transform(rotate_img(img0, 90)) (ToTensor of np.flipud / np.fliplr views)
import numpy as np
import torchvision.transforms as transforms


def rotate_img(img, rot):
    if rot == 0:
        return img
    elif rot == 90:
        return np.flipud(np.transpose(img, (1, 0, 2)))
    elif rot == 180:
        return np.fliplr(np.flipud(img))
    elif rot == 270:
        return np.transpose(np.flipud(img), (1, 0, 2))
    raise ValueError('rotation should be 0, 90, 180, or 270 degrees')


class RotNetDataset:
    def __init__(self, dataset):
        self.dataset = dataset
        self.transform = transforms.Compose([transforms.ToTensor()])

    def __getitem__(self, index):
        img0 = np.asarray(self.dataset[index][0])
        rotated_imgs = [
            self.transform(img0),  # ok
            self.transform(rotate_img(img0, 90)),  # expect: TNP102
            self.transform(rotate_img(img0, 180)),  # expect: TNP102
            self.transform(rotate_img(img0, 270)),  # expect: TNP102
        ]
        return rotated_imgs
