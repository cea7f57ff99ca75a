# source: https://github.com/radixark/miles/pull/703
# title: fix: copy numpy arrays from np.frombuffer to fix R3 read-only tensor warning
# cause: read-only-array
# what happened: np.frombuffer() returned read-only arrays; torch.from_numpy() warned (non-writable tensor, undefined behavior on write)
import base64

import numpy as np
import torch


def decode_routed_experts(payload, num_layers, topk):
    raw = base64.b64decode(payload["routed_experts"])
    routed_experts = np.frombuffer(raw, dtype=np.int32).reshape(-1, num_layers, topk)
    return torch.from_numpy(routed_experts)  # expect: TNP107


def decode_routed_experts_fixed(payload, num_layers, topk):
    raw = base64.b64decode(payload["routed_experts"])
    routed_experts = np.frombuffer(raw, dtype=np.int32).reshape(-1, num_layers, topk).copy()
    return torch.from_numpy(routed_experts)  # ok
