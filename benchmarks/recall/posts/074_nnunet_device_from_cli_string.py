# source: https://github.com/MIC-DKFZ/nnUNet/issues/1365
# title: CPU only, however still get AssertionError: Torch not compiled with CUDA enabled
# cause: device-branch
# what happened: "Using device: cuda:0" on a CPU-only install, then AssertionError: Torch not compiled with CUDA enabled: the device comes from the -device option (default 'cuda'), not from a CUDA check
import argparse

import torch


def run_training_entry():
    parser = argparse.ArgumentParser()
    parser.add_argument('-device', type=str, default='cuda', required=False)  # expect: TNP308
    args = parser.parse_args()
    assert args.device in ['cpu', 'cuda', 'mps']
    if args.device == 'cpu':
        torch.set_num_threads(4)
        device = torch.device('cpu')
    elif args.device == 'cuda':
        torch.set_num_threads(1)
        device = torch.device('cuda')  # expect: TNP301
    else:
        device = torch.device('mps')
    print(f"Using device: {device}")
    return device
