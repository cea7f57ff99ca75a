# source: https://github.com/pytorch/pytorch/issues/15005
# title: model.cuda() doesn't automatically detect layers initialized in a list
# cause: module-state-not-moved
# what happened: the Linear layers kept in a Python list stayed on the CPU after model.cuda(); forward failed with a device mismatch
import numpy as np
import torch
import torch.nn as nn
from torch.autograd import Variable

num_classes = [5, 2, 10, 3]


class test(nn.Module):
    def __init__(self, input_features):
        super(test, self).__init__()
        self.softmaxes = []  # expect: TNP310
        for i in range(4):
            self.softmaxes.append(nn.Linear(input_features, num_classes[i]))

    def forward(self, batch_in):
        batch_in = Variable(torch.FloatTensor(batch_in).cuda())  # expect: TNP302, TNP105
        return [self.softmaxes[i](batch_in) for i in range(4)]


X = np.random.rand(6000, 100)
model = test(100).cuda()  # expect: TNP302
out = model(X[:32])
