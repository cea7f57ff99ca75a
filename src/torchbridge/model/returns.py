"""What known NumPy and torch calls return: the data the value model reads.

Only what is true whatever the arguments are is listed; a call that returns an array for
some arguments and a scalar or a tuple for others (``np.random.rand()`` without sizes,
``np.where(c)``, ``x.max(dim)``) is handled by the evaluator or left unknown.
"""

from __future__ import annotations

# Functions that always return a fresh, C-contiguous ndarray.
NUMPY_NEW_ARRAY = frozenset({
    "numpy.zeros", "numpy.ones", "numpy.empty", "numpy.full", "numpy.arange", "numpy.linspace",
    "numpy.logspace", "numpy.eye", "numpy.identity", "numpy.zeros_like", "numpy.ones_like",
    "numpy.empty_like", "numpy.full_like", "numpy.ascontiguousarray", "numpy.fromfile",
    "numpy.frombuffer", "numpy.fromstring", "numpy.loadtxt", "numpy.genfromtxt",
    "numpy.stack", "numpy.concatenate", "numpy.vstack", "numpy.hstack", "numpy.dstack",
    "numpy.column_stack", "numpy.tile", "numpy.repeat", "numpy.diag", "numpy.tril",
    "numpy.triu", "numpy.outer", "numpy.cumsum", "numpy.cumprod", "numpy.sort",
    "numpy.argsort", "numpy.pad", "numpy.unique",
})
# Of those, the ones whose first argument is the shape, and the ones of a fixed rank.
NUMPY_SHAPED = frozenset({"numpy.zeros", "numpy.ones", "numpy.empty", "numpy.full"})
NUMPY_FIXED_NDIM = {"numpy.eye": 2, "numpy.identity": 2, "numpy.arange": 1, "numpy.linspace": 1,
                    "numpy.logspace": 1, "numpy.outer": 2}
# Array-or-scalar by their arguments: an ndarray once a size is given.
NUMPY_RANDOM_SIZED = {  # qualname -> (positional index of the size, or None for *dims)
    "numpy.random.rand": None, "numpy.random.randn": None,
    "numpy.random.random": 0, "numpy.random.random_sample": 0, "numpy.random.sample": 0,
    "numpy.random.randint": 2, "numpy.random.normal": 2, "numpy.random.uniform": 2,
    "numpy.random.choice": 1, "numpy.random.permutation": None,
}
# ndarray in, ndarray out, strides copied as they are ('K' order) or shared.
NUMPY_KEEPS_LAYOUT = frozenset({"numpy.asarray", "numpy.asanyarray"})
# A copy in 'K' order: positive strides, the memory order (and so a transposition) kept.
NUMPY_COPY_KEEP_ORDER = frozenset({"numpy.array", "numpy.copy"})
NUMPY_FLIPS = frozenset({"numpy.flip", "numpy.flipud", "numpy.fliplr"})
NUMPY_TRANSPOSES = frozenset({"numpy.transpose", "numpy.swapaxes", "numpy.moveaxis"})
NUMPY_LOAD = "numpy.load"

# ndarray methods.
ARRAY_METHODS_CONTIGUOUS = frozenset({"copy", "flatten", "ravel"})  # C order by default
ARRAY_METHODS_KEEP_ORDER = frozenset({"astype"})  # 'K' order: strides made positive
ARRAY_REDUCTIONS = frozenset({"mean", "sum", "max", "min", "std", "var", "prod", "argmax", "argmin"})

# torch functions that return a tensor whatever their arguments.
TORCH_FACTORIES = frozenset({
    "torch.tensor", "torch.zeros", "torch.ones", "torch.empty", "torch.full", "torch.rand",
    "torch.randn", "torch.randint", "torch.randperm", "torch.arange", "torch.linspace",
    "torch.logspace", "torch.eye", "torch.zeros_like", "torch.ones_like", "torch.empty_like",
    "torch.full_like", "torch.rand_like", "torch.randn_like", "torch.randint_like",
})
TORCH_FROM_ARRAY = frozenset({"torch.from_numpy", "torch.as_tensor", "torch.asarray"})
# Calls that return a device (or None, which ``.to`` and ``device=`` take as "where it is").
DEVICE_GETTERS = frozenset({"torch.accelerator.current_accelerator", "torch.get_default_device"})
TORCH_OPS = frozenset({
    "torch.cat", "torch.stack", "torch.matmul", "torch.mm", "torch.bmm", "torch.einsum",
    "torch.relu", "torch.sigmoid", "torch.tanh", "torch.exp", "torch.log", "torch.sqrt",
    "torch.abs", "torch.clamp", "torch.softmax", "torch.log_softmax", "torch.flatten",
    "torch.reshape", "torch.squeeze", "torch.unsqueeze", "torch.permute", "torch.transpose",
    "torch.mean", "torch.sum", "torch.pow", "torch.mul", "torch.add", "torch.sub", "torch.div",
    "torch.bernoulli", "torch.normal", "torch.outer", "torch.cdist",
    "torch.nn.functional.relu", "torch.nn.functional.gelu", "torch.nn.functional.silu",
    "torch.nn.functional.sigmoid", "torch.nn.functional.tanh", "torch.nn.functional.softmax",
    "torch.nn.functional.log_softmax", "torch.nn.functional.linear",
    "torch.nn.functional.conv1d", "torch.nn.functional.conv2d", "torch.nn.functional.conv3d",
    "torch.nn.functional.dropout", "torch.nn.functional.max_pool2d",
    "torch.nn.functional.avg_pool2d", "torch.nn.functional.adaptive_avg_pool2d",
    "torch.nn.functional.interpolate", "torch.nn.functional.pad",
    "torch.nn.functional.normalize", "torch.nn.functional.cross_entropy",
    "torch.nn.functional.mse_loss", "torch.nn.functional.l1_loss", "torch.nn.functional.nll_loss",
    "torch.nn.functional.binary_cross_entropy",
    "torch.nn.functional.binary_cross_entropy_with_logits", "torch.nn.functional.embedding",
    "torch.nn.functional.layer_norm", "torch.nn.functional.leaky_relu",
})
# Tensor methods that return a tensor with the receiver's grad and placement.
TENSOR_METHODS_SAME = frozenset({
    "view", "view_as", "reshape", "reshape_as", "flatten", "squeeze", "unsqueeze", "permute",
    "transpose", "t", "contiguous", "clone", "float", "double", "half", "bfloat16", "long",
    "int", "short", "bool", "byte", "type_as", "sum", "mean", "abs", "exp", "log", "sqrt",
    "pow", "mul", "add", "sub", "div", "matmul", "mm", "bmm", "softmax", "log_softmax",
    "sigmoid", "tanh", "relu", "clamp", "expand", "expand_as", "repeat", "masked_fill",
    "argmax", "argmin", "norm", "neg", "square", "flip", "roll", "narrow", "gather",
    "squeeze_", "unsqueeze_", "mul_", "add_", "sub_", "div_", "clamp_", "pin_memory",
})
# Of those, the ones whose result never requires grad (integer results).
TENSOR_METHODS_WITHOUT_GRAD = frozenset({"argmax", "argmin", "long", "int", "short", "bool", "byte"})
# Methods that return a tuple of tensors like the receiver.
TENSOR_METHODS_SPLITTING = frozenset({"unbind", "split", "chunk", "tensor_split"})
# Methods that end the autograd history.
TENSOR_METHODS_DETACHED = frozenset({"detach", "detach_"})

# torch.nn modules whose call returns one tensor. Those with parameters (which require grad
# by default) give a result that requires grad; the others pass their input's grad on.
PARAMETRIZED_MODULES = frozenset(
    f"torch.nn.{name}" for name in (
        "Linear", "Bilinear", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
        "ConvTranspose3d", "BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
        "Embedding", "PReLU",
    )
)
STATELESS_MODULES = frozenset(
    f"torch.nn.{name}" for name in (
        "Dropout", "Dropout2d", "ReLU", "GELU", "SiLU", "LeakyReLU", "Sigmoid", "Tanh", "Softmax",
        "LogSoftmax", "Flatten", "Identity", "MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d",
        "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool2d",
        "Upsample", "PixelShuffle", "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
        "BCEWithLogitsLoss", "SmoothL1Loss", "HuberLoss",
    )
)
SEQUENTIAL = "torch.nn.Sequential"
# Constructor keywords that leave a layer without parameters that require grad, and the value
# that does so: BatchNorm2d(affine=False), LayerNorm(elementwise_affine=False), Embedding(_freeze=True).
PARAMETER_SWITCHES = {"affine": False, "elementwise_affine": False, "_freeze": True}
PARAMETER = "torch.nn.Parameter"

# Contexts and decorators that turn grad off.
NO_GRAD = frozenset({"torch.no_grad", "torch.inference_mode", "torch.autograd.no_grad",
                     "torch.autograd.inference_mode", "torch.autograd.grad_mode.no_grad",
                     "torch.autograd.grad_mode.inference_mode"})
SET_GRAD_ENABLED = frozenset({"torch.set_grad_enabled", "torch.autograd.set_grad_enabled",
                              "torch.autograd.grad_mode.set_grad_enabled"})
# Lightning runs these hooks with grad off.
LIGHTNING_NO_GRAD_HOOKS = frozenset({"validation_step", "test_step", "predict_step"})

NDARRAY_TYPES = frozenset({"numpy.ndarray"})
TENSOR_TYPES = frozenset({"torch.Tensor", "torch.FloatTensor", "torch.LongTensor", "torch.nn.Parameter"})
SEQUENCE_TYPES = frozenset({"typing.List", "typing.Tuple"})
DTYPES = frozenset(f"torch.{name}" for name in (
    "float16", "float32", "float64", "bfloat16", "half", "float", "double", "int8", "int16", "int32",
    "int64", "uint8", "long", "int", "short", "bool", "complex64", "complex128", "cfloat", "cdouble",
))
