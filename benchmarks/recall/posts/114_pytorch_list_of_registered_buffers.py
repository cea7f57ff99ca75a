# source: https://github.com/pytorch/pytorch/issues/29807
# title: list of registered buffers does not move to cuda
# cause: module-state-not-moved
# what happened: after a.cuda() the buffers moved, but the plain list self.params still held the old CPU tensors
import torch
import torch.nn as nn


class MyModule(nn.Module):
    def __init__(self):
        super(MyModule, self).__init__()
        params = [torch.rand(1, 3) for i in range(4)]
        self.params = []  # expect: TNP310
        for i, param in enumerate(params):
            self.register_buffer('param_{}'.format(i), param)  # ok
            self.params.append(getattr(self, 'param_{}'.format(i)))


a = MyModule()
print(a.state_dict())
a.cuda()  # expect: TNP302
print(a.params)
