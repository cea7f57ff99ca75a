# source: https://github.com/vllm-project/vllm/pull/36145
# title: [Hardware] Replace torch.cuda.device_count/current_device/set_device API
# cause: accelerator-portability
# what happened: CUDA-only device-management calls kept the code paths from running on XPU; replaced with torch.accelerator.device_count/current_device_index/set_device_index
import torch


def init_worker_device(local_rank: int):
    num_gpus = torch.cuda.device_count()  # expect: TNP309
    if local_rank >= num_gpus:
        raise ValueError(f"local_rank {local_rank} >= device count {num_gpus}")
    torch.cuda.set_device(local_rank)  # expect: TNP309
    device = torch.device(f"cuda:{torch.cuda.current_device()}")  # expect: TNP309, TNP301
    return device
