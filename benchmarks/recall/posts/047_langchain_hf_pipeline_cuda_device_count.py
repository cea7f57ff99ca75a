# source: https://github.com/langchain-ai/langchain/pull/39640
# title: feat(huggingface): use torch.accelerator for device-agnostic device count detection
# cause: accelerator-portability
# what happened: HuggingFacePipeline.from_model_id counted devices with torch.cuda.device_count(), so non-CUDA accelerators (Intel XPU) went undetected
import importlib.util


def check_device(device):
    if device is not None and importlib.util.find_spec("torch") is not None:
        import torch

        cuda_device_count = torch.cuda.device_count()  # expect: TNP309
        if device < -1 or (device >= cuda_device_count):
            raise ValueError(
                f"Got device=={device}, device is required to be within [-1, {cuda_device_count})"
            )
    return device
