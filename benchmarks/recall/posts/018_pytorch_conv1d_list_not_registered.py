# source: https://github.com/pytorch/pytorch/issues/1053
# title: submodules defined in list are not auto-registered as parameters
# cause: module-state-not-moved
# what happened: after a.cuda(), the Conv1d submodules defined in a list were still on the CPU
import torch as th

WORD_VEC_SIZE = 300


class Net(th.nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1d = [  # expect: TNP310
            th.nn.Conv1d(WORD_VEC_SIZE, 1, 3),
            th.nn.Conv1d(WORD_VEC_SIZE, 1, 4),
            th.nn.Conv1d(WORD_VEC_SIZE, 1, 5),
        ]

    def forward(self, x):
        return [conv(x) for conv in self.conv1d]


a = Net()
a.cuda()  # expect: TNP302
