# source: https://github.com/karpathy/nanochat/pull/792
# title: Make device synchronization MPS-aware (fix crash + correct Mac timing)
# cause: accelerator-portability
# what happened: AssertionError: Torch not compiled with CUDA enabled from torch.cuda.synchronize() on Apple Silicon; the lambda no-op made Mac timings measure only dispatch
import time

import torch

device_type = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
synchronize = torch.cuda.synchronize if device_type == "cuda" else lambda: None  # expect: TNP309

if __name__ == "__main__":
    x = torch.randn(1024, 1024, device=device_type)
    torch.cuda.synchronize()  # expect: TNP309
    t0 = time.time()
    y = x @ x
    synchronize()
    print(f"matmul: {time.time() - t0:.4f}s")
