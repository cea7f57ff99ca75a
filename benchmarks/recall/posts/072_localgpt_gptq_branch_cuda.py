# source: https://github.com/PromtEngineer/localGPT/issues/156
# title: AssertionError: Torch not compiled with CUDA enabled
# cause: device-branch
# what happened: `python run_localGPT.py --device_type cpu` still failed with AssertionError: Torch not compiled with CUDA enabled: the quantized-model branch loads on "cuda:0" whatever device_type says
from auto_gptq import AutoGPTQForCausalLM
from transformers import AutoModelForCausalLM


def load_model(device_type, model_id, model_basename=None):
    if model_basename is not None:
        model = AutoGPTQForCausalLM.from_quantized(
            model_id,
            model_basename=model_basename,
            use_safetensors=True,
            device="cuda:0",  # expect: TNP301
            use_triton=False,
        )
    elif device_type.lower() == "cuda":
        model = AutoModelForCausalLM.from_pretrained(model_id, device_map="auto")
    else:
        model = AutoModelForCausalLM.from_pretrained(model_id)
    return model
