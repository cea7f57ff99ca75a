# source: https://github.com/weecology/DeepForest-pytorch/issues/63
# title: Profile dataloader code
# cause: library-producer
# what happened: profiling the data loading: the image read with skimage was copied by torch.tensor(image) and permuted on every call ("get rid of the nasty permute")
import torch
from skimage import io


def preprocess_image(image):
    image = torch.tensor(image).permute(2, 0, 1).unsqueeze(0).float()  # expect: TNP101
    return image / 255


def predict_image(model, path):
    image = io.imread(path)
    return model(preprocess_image(image))
