# source: https://github.com/instructlab/instructlab/pull/3358
# title: fix: properly gate usage of torch.cuda.device_count
# cause: accelerator-portability
# what happened: on HPU (and ROCm) builds the ungated torch.cuda.device_count() broke `ilab model serve`; it had to be gated on CUDA being the backend
import torch


def serve_backend(vllm_args):
    vllm_args = vllm_args or []
    if "--tensor-parallel-size" not in vllm_args:
        num_gpus = torch.cuda.device_count()  # expect: TNP309
        if num_gpus > 1:
            vllm_args += ["--tensor-parallel-size", str(num_gpus)]
    return vllm_args
