"""Which conditions mean "CUDA is there" (or "the user chose the GPU"), and which mean the opposite.

Real code guards its CUDA uses in many ways: ``torch.cuda.is_available()``, flags that name
the user's choice (``use_cuda``, ``args.cuda``, ``self.use_gpu``), device comparisons
(``device.type == 'cuda'``, ``device != 'cpu'``), counts (``device_count() > 0``). The
classifier reads the words of a condition; it errs towards calling a condition a guard,
because a missed guard is a false alarm and a false alarm is what makes people switch a
linter off.
"""

from __future__ import annotations

import enum
import re

import libcst as cst

from .names import callee_name, device_text, dotted, identifier_words, string_value


class Polarity(enum.Enum):
    NONE = "none"  # not about CUDA
    POSITIVE = "positive"  # true means CUDA is there / chosen
    NEGATIVE = "negative"  # true means it is not
    BOTH = "both"  # about CUDA, direction unclear: both branches count as guarded

    def inverted(self) -> Polarity:
        if self is Polarity.POSITIVE:
            return Polarity.NEGATIVE
        if self is Polarity.NEGATIVE:
            return Polarity.POSITIVE
        return self

    @property
    def guards_true_branch(self) -> bool:
        return self in (Polarity.POSITIVE, Polarity.BOTH)

    @property
    def guards_false_branch(self) -> bool:
        return self in (Polarity.NEGATIVE, Polarity.BOTH)


# "accelerator" alone is too wide: Hugging Face Accelerate's object is called that too
# (``if accelerator.sync_gradients:`` is no guard); torch.accelerator's calls are named apart.
_CUDA_WORD = re.compile(r"cuda|gpu|current_accelerator")
_NEGATIVE_WORD = re.compile(r"\bcpu\b|^cpu|cpu$|_cpu_|no_?cuda|no_?gpu|disable|without_(?:cuda|gpu)")
_DEVICE_LITERAL = re.compile(r"^(?:cuda|gpu)(?::\d+)?$")
_ZEROISH = frozenset({"0", "none", "false", "-1", "''", '""'})

_UNCALLED = (".is_available", ".device_count")
_EQUAL_OPS = (cst.Equal, cst.Is, cst.In)
_UNEQUAL_OPS = (cst.NotEqual, cst.IsNot, cst.NotIn)
_AT_MOST_ZERO_OPS = (cst.Equal, cst.Is, cst.LessThan, cst.LessThanEqual)
# An operator read from the other side: ``0 < n`` is ``n > 0``.
_MIRRORED: dict[type, type] = {
    cst.LessThan: cst.GreaterThan, cst.GreaterThan: cst.LessThan,
    cst.LessThanEqual: cst.GreaterThanEqual, cst.GreaterThanEqual: cst.LessThanEqual,
}


# Calls that raise on a machine without CUDA (measured on torch 2.13 CPU: AssertionError "Torch
# not compiled with CUDA enabled", AttributeError on the missing _cuda_* binding, RuntimeError
# "Tried to instantiate dummy base class Event"). torch.cuda.empty_cache, max_memory_allocated
# and manual_seed_all do not raise, so they prove nothing.
CUDA_REQUIRING_CALLS = frozenset({
    "torch.cuda.set_device", "torch.cuda.synchronize", "torch.cuda.current_device",
    "torch.cuda.Event", "torch.cuda.Stream", "torch.cuda.get_device_name", "torch.cuda.init",
    "torch.cuda.reset_peak_memory_stats",
})
# Of those, the ones that pick the process's GPU: code that calls them unguarded is written
# for GPU ranks, and so is the rest of its module.
CUDA_COMMITTING_CALLS = frozenset({"torch.cuda.set_device"})
# init_process_group(backend="nccl") raises "Distributed package doesn't have NCCL built in".
PROCESS_GROUP_INITS = frozenset({"torch.distributed.init_process_group"})
# Top-level packages that need CUDA to import or to do anything (cuda is NVIDIA's cuda-python).
CUDA_ONLY_PACKAGES = frozenset({"tensorrt", "torch_tensorrt", "pycuda", "cuda", "cupy", "polygraphy"})
# Set-up calls of CUDA-only libraries: apex's amp.initialize raises a RuntimeError for any
# floating-point parameter or buffer not on a CUDA device, "no matter what optimization level
# you chose" (apex/amp/_initialize.py, check_params_fp32), unless apex's private
# ``_amp_state`` is switched to let it pass (``AMP_OVERRIDE``).
CUDA_ONLY_SETUPS = frozenset({"apex.amp.initialize"})
AMP_OVERRIDE = "_amp_state"


def names_nccl_backend(call: cst.Call) -> bool:
    """``init_process_group("nccl")``, ``init_process_group(backend="nccl", ...)``."""
    for position, argument in enumerate(call.args):
        keyword = argument.keyword.value if argument.keyword is not None else None
        if keyword == "backend" or (keyword is None and position == 0 and argument.star == ""):
            text = string_value(argument.value)
            return text is not None and "nccl" in text.lower()
    return False


def mentions_cuda(expr: cst.CSTNode) -> bool:
    return any(_CUDA_WORD.search(word) for word in identifier_words(expr))


def uncalled_check(test: cst.BaseExpression) -> bool:
    """``torch.cuda.is_available`` without the call: a function object, always true."""
    return (type(test) is cst.Attribute or type(test) is cst.Name) and (dotted(test) or "").endswith(_UNCALLED)


def polarity(test: cst.BaseExpression) -> Polarity:
    if uncalled_check(test):
        return Polarity.NONE  # `if torch.cuda.is_available:` is no guard
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        return polarity(test.expression).inverted()
    if type(test) is cst.BooleanOperation:
        sides = {polarity(test.left), polarity(test.right)}
        for candidate in (Polarity.POSITIVE, Polarity.NEGATIVE, Polarity.BOTH):
            if candidate in sides:
                return candidate
        return Polarity.NONE
    if type(test) is cst.Comparison and len(test.comparisons) == 1:
        return _comparison_polarity(test.left, test.comparisons[0])
    return _words_polarity(test)


def _words_polarity(expr: cst.CSTNode) -> Polarity:
    words = identifier_words(expr)
    if any(_NEGATIVE_WORD.search(word) for word in words):
        return Polarity.NEGATIVE
    if any(_CUDA_WORD.search(word) for word in words) or _is_torch_accelerator_check(words):
        return Polarity.POSITIVE
    return Polarity.NONE


def _is_torch_accelerator_check(words: list[str]) -> bool:
    """``torch.accelerator.is_available()`` / ``device_count()``."""
    return "accelerator" in words and "torch" in words


_CUDA_ONLY_WORD = re.compile(r"cuda|gpu")


def accelerator_only(test: cst.BaseExpression) -> bool:
    """A check for any accelerator (``torch.accelerator.is_available()``,
    ``current_accelerator()``) that says nothing of CUDA: true on MPS and XPU machines too,
    so it guards device-generic code, never a CUDA call."""
    words = identifier_words(test)
    if any(_CUDA_ONLY_WORD.search(word) for word in words):
        return False
    return _is_torch_accelerator_check(words) or any("current_accelerator" in word for word in words)


def _comparison_polarity(left: cst.BaseExpression, target: cst.ComparisonTarget) -> Polarity:
    op, right = target.operator, target.comparator
    # torch.device('cuda') reads as 'cuda' here: x.device != torch.device('cuda') is no guard
    literals = [v.lower() for v in (device_text(left), device_text(right)) if v is not None]
    if any(_DEVICE_LITERAL.match(v) for v in literals):
        # device == 'cuda', 'cuda' in str(device), x.device.type != 'cuda'
        if isinstance(op, _EQUAL_OPS):
            return Polarity.POSITIVE
        return Polarity.NEGATIVE if isinstance(op, _UNEQUAL_OPS) else Polarity.BOTH
    if "cpu" in literals:
        if isinstance(op, _EQUAL_OPS):
            return Polarity.NEGATIVE
        return Polarity.POSITIVE if isinstance(op, _UNEQUAL_OPS) else Polarity.BOTH
    left_polarity = _words_polarity(left)
    subject = left_polarity if left_polarity is not Polarity.NONE else _words_polarity(right)
    if subject is Polarity.NONE:
        return Polarity.NONE
    # Counts and optional settings: device_count() > 0, args.gpu is not None, n_gpu == 0.
    other = right if left_polarity is not Polarity.NONE else left
    operator = type(op)
    if left_polarity is Polarity.NONE:  # 0 < device_count() reads as device_count() > 0
        operator = _MIRRORED.get(operator, operator)
    if _literal_text(other) in _ZEROISH:
        zero_means_absent = issubclass(operator, _AT_MOST_ZERO_OPS)
        return subject.inverted() if zero_means_absent else subject
    if issubclass(operator, (cst.GreaterThan, cst.GreaterThanEqual)):
        return subject
    return Polarity.BOTH


def _literal_text(expr: cst.BaseExpression) -> str | None:
    if type(expr) is cst.Integer:
        return expr.value
    if type(expr) is cst.SimpleString and string_value(expr) == "":
        return "''"  # os.environ.get("CUDA_VISIBLE_DEVICES", "") == "": nothing chosen
    if type(expr) is cst.Name and expr.value in ("None", "False"):
        return expr.value.lower()
    if type(expr) is cst.UnaryOperation and type(expr.operator) is cst.Minus:
        inner = _literal_text(expr.expression)
        return f"-{inner}" if inner else None
    return None


def is_guard_decorator(decorator: cst.Decorator) -> bool:
    """``@pytest.mark.skipif(not torch.cuda.is_available())``, ``@RunIf(min_cuda_gpus=1)``,
    ``@require_torch_gpu``...; never ``@pytest.mark.parametrize`` (its device list is data)."""
    expr = decorator.decorator
    callee = expr.func if type(expr) is cst.Call else expr
    name = callee_name(callee) or ""
    return name != "parametrize" and (mentions_cuda(expr) or _REQUIRES_ACCELERATOR.match(name) is not None)


# Test-suite skip decorators named for the hardware they need (Hugging Face's
# ``@require_torch_accelerator``, ``@require_torch_multi_accelerator``).
_REQUIRES_ACCELERATOR = re.compile(r"^requires?_(?:torch_)?(?:multi_)?accelerator")

# Calls that end the process (``sys.exit``, ``os._exit``, ``exit()``, ``abort()``), by their last name.
PROCESS_EXITS = frozenset({"exit", "_exit", "abort", "quit"})
_EXIT_CALLS = PROCESS_EXITS | {"skip", "skipTest", "fail"}


def last_statement(body: cst.BaseSuite) -> cst.CSTNode | None:
    """The block's last statement, the last small one where it ends in a line of them."""
    if not body.body:
        return None
    last: cst.CSTNode = body.body[-1]
    if type(last) is cst.SimpleStatementLine:
        return last.body[-1] if last.body else None
    return last


def ends_in_exit(body: cst.BaseSuite) -> bool:
    """The block always leaves: return, raise, continue, break, pytest.skip(), sys.exit()..."""
    last = last_statement(body)
    if type(last) is cst.Return or type(last) is cst.Raise or type(last) is cst.Continue or type(last) is cst.Break:
        return True
    if type(last) is cst.Expr and type(last.value) is cst.Call:
        return callee_name(last.value.func) in _EXIT_CALLS
    return False
