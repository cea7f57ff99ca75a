"""What known ndarray and tensor methods return, the contexts that turn grad off, and the
type names annotations use: the tables the value model reads beside the library catalogue
(``catalogue/``, which holds the functions and constructors).

Only what is true whatever the arguments are is listed; a method that returns an array for
some arguments and a scalar or a tuple for others (``x.max(dim)``) is handled by the
evaluator or left unknown.
"""

from __future__ import annotations

# ndarray methods.
ARRAY_METHODS_CONTIGUOUS = frozenset({"copy", "flatten", "ravel"})  # C order by default
ARRAY_METHODS_KEEP_ORDER = frozenset({"astype"})  # 'K' order: strides made positive
ARRAY_REDUCTIONS = frozenset({"mean", "sum", "max", "min", "std", "var", "prod", "argmax", "argmin"})

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
# Methods that return a tuple of tensors (values and indices, eigenpairs...).
TENSOR_METHODS_TUPLE = frozenset({"sort", "topk", "kthvalue", "aminmax", "mode"})
# Reductions that return a tuple when given a dimension (``x.max(1)``), a tensor otherwise.
TENSOR_METHODS_TUPLE_BY_DIM = frozenset({"max", "min", "median", "nanmedian"})
# Methods that end the autograd history.
TENSOR_METHODS_DETACHED = frozenset({"detach", "detach_"})
# nn.Module methods that change the module in place and return it: its parameters still
# require grad after them (where they are is not followed: a later in-place move may change it).
MODULE_METHODS_SELF = frozenset({"eval", "train", "to", "cuda", "cpu", "float", "double", "half", "bfloat16"})

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
DATAFRAME_TYPES = frozenset({"pandas.DataFrame", "pandas.core.frame.DataFrame"})
SEQUENCE_TYPES = frozenset({"typing.List", "typing.Tuple"})
DTYPES = frozenset(f"torch.{name}" for name in (
    "float16", "float32", "float64", "bfloat16", "half", "float", "double", "int8", "int16", "int32",
    "int64", "uint8", "long", "int", "short", "bool", "complex64", "complex128", "cfloat", "cdouble",
))
