# source: https://github.com/awslabs/dgl-lifesci/issues/127
# title: Rexgen example on CPU
# cause: direct
# what happened: ValueError: Expected a cuda device, but got: cpu, from torch.cuda.set_device(args['device']) on a machine without CUDA
import torch


def main(args):
    if torch.cuda.is_available():
        args['device'] = torch.device('cuda:0')  # ok
    else:
        args['device'] = torch.device('cpu')
    torch.cuda.set_device(args['device'])  # expect: TNP309
    model = torch.nn.Linear(8, 2).to(args['device'])
    return model
