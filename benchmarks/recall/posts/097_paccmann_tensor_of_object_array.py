# source: https://github.com/PaccMann/paccmann_predictor/issues/14
# title: TypeError: can't convert np.ndarray of type numpy.object_
# cause: library-producer
# what happened: TypeError: can't convert np.ndarray of type numpy.object_ at torch.Tensor(predictions), torch.Tensor(labels) after an epoch
import numpy as np
import torch
from scipy.stats import pearsonr


def evaluate(predictions, labels):
    predictions = np.array([p.cpu() for preds in predictions for p in preds])
    labels = np.array([l.cpu() for label in labels for l in label])
    test_pearson_a = pearsonr(torch.Tensor(predictions), torch.Tensor(labels))  # expect: TNP105
    return test_pearson_a
