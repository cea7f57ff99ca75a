# source: https://github.com/aradha/recursive_feature_machines/pull/10
# title: Fix UserWarning regarding tensor construction
# cause: tensor-of-tensor
# what happened: UserWarning: To copy construct from a tensor, it is recommended to use sourceTensor.clone().detach() ..., at torch.tensor(tail_eigval, ...).to(device)
import torch


def nystrom_kernel_svd(samples, kernel_fn, top_q):
    kmat = kernel_fn(samples, samples)
    eigvals, eigvecs = torch.linalg.eigh(kmat)
    return eigvals.flip(0)[:top_q], eigvecs.flip(1)[:, :top_q]


def setup_preconditioner(samples, kernel_fn, top_q, alpha=0.95):
    eigvals, eigvecs = nystrom_kernel_svd(samples, kernel_fn, top_q)
    eigvals, tail_eigval = eigvals[:top_q - 1], eigvals[top_q - 1]
    eigvecs = eigvecs[:, :top_q - 1]
    device = samples.device
    eigvals_t = eigvals.to(device)  # ok
    eigvecs_t = eigvecs.to(device)  # ok
    tail_eigval_t = torch.tensor(tail_eigval, dtype=samples.dtype).to(device)  # expect: TNP108
    diag_t = (1 - torch.pow(tail_eigval_t / eigvals_t, alpha)) / eigvals_t
    return eigvecs_t, diag_t
