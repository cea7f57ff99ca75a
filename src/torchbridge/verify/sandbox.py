"""Running one side of a probe on all its cases, in a forked child.

The parent imports NumPy and torch once and never touches CUDA (even
``torch.cuda.is_available()`` in a parent makes CUDA unusable in forked children, measured
on an H100, unless ``PYTORCH_NVML_BASED_CUDA_CHECK=1``, which is set before torch is
imported). Each side of each fix runs in its own child, all of its cases in the same order,
so warn-once warnings and other per-process state match between the sides. A child that
runs too long or grows too large is killed (memory is watched by polling its RSS:
``RLIMIT_AS`` breaks CUDA). A CPU-only side on a GPU machine hides the GPUs with
``CUDA_VISIBLE_DEVICES=""``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import select
import signal
import sys
import time
import traceback
from typing import Any

from ..project.lifetime import die_with_parent
from .cases import build

TIME_LIMIT_S = 60.0
MEMORY_LIMIT_BYTES = 4 << 30


class SideFailed(Exception):
    """The child could not report (timed out, too much memory, crashed)."""


def prepare_parent() -> None:
    """Import NumPy and torch once, without touching CUDA."""
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    import numpy  # noqa: F401
    import torch  # noqa: F401


def cuda_devices() -> int:
    """How many CUDA devices a child sees (asked in a child: the parent stays clean)."""
    result = run_in_child(_count_cuda, cpu_only=False)
    return int(result) if isinstance(result, int) else 0


def _count_cuda() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def run_in_child(function, *args: Any, cpu_only: bool, time_limit: float = TIME_LIMIT_S, spawn: bool = False) -> Any:  # noqa: ANN001
    """``function(*args)`` in a forked child (a spawned one where there is no fork, as on
    Windows: slower, since it imports torch again); its (pickled) return value."""
    if spawn or not hasattr(os, "fork"):
        return _run_spawned(function, args, cpu_only, time_limit)
    read_end, write_end = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        code = 0
        try:
            die_with_parent(parent)  # a killed run takes its children with it
            if cpu_only:
                os.environ["CUDA_VISIBLE_DEVICES"] = ""
            payload = pickle.dumps(("ok", function(*args)))
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            payload = pickle.dumps(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=3)}"))
            code = 1
        try:
            with os.fdopen(write_end, "wb") as stream:
                stream.write(payload)
        finally:
            os._exit(code)
    os.close(write_end)
    return _collect(pid, read_end, time_limit)


def _collect(pid: int, read_end: int, time_limit: float) -> Any:
    chunks: list[bytes] = []
    deadline = time.monotonic() + time_limit
    why = None
    try:
        while True:
            ready, _, _ = select.select([read_end], [], [], 0.05)
            if ready:
                chunk = os.read(read_end, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
                continue
            if time.monotonic() > deadline:
                why = f"timed out after {time_limit:.0f} s"
                break
            if _rss(pid) > MEMORY_LIMIT_BYTES:
                why = f"used more than {MEMORY_LIMIT_BYTES >> 30} GiB of memory"
                break
    except BaseException:
        why = "interrupted"  # Ctrl-C or another exception in the parent: never wait for the child
        raise
    finally:
        os.close(read_end)
        if why is not None:
            _kill(pid)
        _, status = os.waitpid(pid, 0)
    if why is not None:
        raise SideFailed(why)
    if not chunks:
        raise SideFailed(f"the child died ({_describe(status)})")
    state, value = pickle.loads(b"".join(chunks))
    if state != "ok":
        raise SideFailed(f"the child failed: {value}")
    return value


def _run_spawned(function, args: tuple, cpu_only: bool, time_limit: float) -> Any:  # noqa: ANN001
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_spawned_main, args=(sender, os.getpid(), function, args, cpu_only), daemon=True)
    process.start()
    sender.close()
    deadline = time.monotonic() + time_limit
    why = None
    try:
        while not receiver.poll(0.05):
            if time.monotonic() > deadline:
                why = f"timed out after {time_limit:.0f} s"
                break
            if process.pid is not None and _rss(process.pid) > MEMORY_LIMIT_BYTES:
                why = f"used more than {MEMORY_LIMIT_BYTES >> 30} GiB of memory"
                break
            if not process.is_alive() and not receiver.poll(0):
                why = f"the child died (exit code {process.exitcode})"
                break
        if why is None:
            state, value = receiver.recv()
    except EOFError:
        why = f"the child died (exit code {process.exitcode})"
    finally:
        if process.is_alive():
            process.kill()
        process.join(5)
        receiver.close()
    if why is not None:
        raise SideFailed(why)
    if state != "ok":
        raise SideFailed(f"the child failed: {value}")
    return value


def _spawned_main(sender, parent: int, function, args: tuple, cpu_only: bool) -> None:  # noqa: ANN001
    die_with_parent(parent)
    if cpu_only:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    os.environ.setdefault("PYTORCH_NVML_BASED_CUDA_CHECK", "1")
    try:
        sender.send(("ok", function(*args)))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent
        sender.send(("error", f"{type(exc).__name__}: {exc}"))


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0  # not Linux, or already gone: the time limit still holds


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        return f"signal {os.WTERMSIG(status)}"
    return f"exit code {os.WEXITSTATUS(status)}"


# ----------------------------------------------------------------------- in the child


def run_side(probe: dict[str, Any], side: str, cases: list[dict[str, Any]], device: str) -> list[dict[str, Any]]:
    """Every case of one side: what it raised or returned, and what it did on the way."""
    import builtins
    import random
    import warnings

    import numpy as np
    import torch

    from .allowlist import TORCH_NAME, bindings, check_side, side_program

    # The parent checked the probe; the child checks its own side again, so that nothing
    # reaches exec that the allowlist did not accept, whoever called this.
    check_side(probe, side)
    statements, main, mode = side_program(probe, side)
    # A statement probe (``use == "exec"``) runs the snippet and returns what the holes hold.
    statement_probe = mode == "exec"
    watched = list(zip([name for name, _, _ in probe["holes"]], probe.get("hole_sources") or [""] * len(probe["holes"])))
    expression = compile(main, "<probe>", mode)
    code = [compile(statement, "<probe>", "exec") for statement in statements]
    # Listed objects only, found without importing anything (allowlist.resolve).
    modules = bindings(probe["names"])
    observations = []
    for case in cases:
        torch.manual_seed(case.get("seed", 0))
        np.random.seed(case.get("seed", 0) % (2**32))
        random.seed(case.get("seed", 0))
        inputs = {name: build(descriptor, device) for name, descriptor in case.items() if name != "seed"}
        # Builtins cut down to the import hook (torch's C++ code imports through the calling
        # frame's builtins): a probe names only what the check bound, and open() and the
        # like would be a NameError even if the check had a gap.
        namespace = {"__builtins__": {"__import__": builtins.__import__}, TORCH_NAME: torch, **modules, **inputs}
        # A statement may rebind the hole's own name (``x = _in0.to(...)``), and a fix may name
        # it in the text it inserts (``device=x.device``): start it as the input.
        namespace.update({own: inputs[name] for name, own in watched if own and name in inputs and not own.startswith("__")})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                for statement in code:
                    exec(statement, namespace)  # noqa: S102 - allowlisted probe statements only
                if statement_probe:
                    exec(expression, namespace)  # noqa: S102 - an allowlisted probe statement only
                    result = tuple(namespace[own or name] for name, own in watched)
                else:
                    result = eval(expression, namespace)  # noqa: S307 - allowlisted probe expression only
            except Exception as exc:  # noqa: BLE001 - the outcome is what is compared
                observation: dict[str, Any] = {"raised": (type(exc).__name__, str(exc).split("\n")[0][:200])}
            else:
                observation = {"raised": None, "result": summarize(result, inputs)}
        observation["warnings"] = sorted({(w.category.__name__, str(w.message)[:60]) for w in caught})
        observation["rng"] = _rng_digest()
        observations.append(observation)
    return observations


def summarize(value: Any, inputs: dict[str, Any]) -> dict[str, Any]:
    import numpy as np
    import torch

    if isinstance(value, torch.Tensor):
        summary = {
            "type": type(value).__name__, "dtype": str(value.dtype), "shape": tuple(value.shape), "device": value.device.type,
            "strides": tuple(value.stride()), "requires_grad": value.requires_grad, "is_leaf": value.is_leaf,
            "values": _tensor_values(value, torch),
        }
        summary["aliasing"] = _aliasing(value, inputs)
        return summary
    if isinstance(value, np.ndarray):
        return {
            "type": "ndarray", "dtype": str(value.dtype), "shape": value.shape, "strides": value.strides,
            "values": _digest(value), "aliasing": _aliasing(value, inputs),
        }
    if isinstance(value, torch.nn.Module):
        params = [(str(p.dtype), p.device.type, tuple(p.shape), _digest(_host(p).numpy())) for p in value.parameters()]
        return {"type": type(value).__name__, "parameters": params, "aliasing": _aliasing(value, inputs)}
    if isinstance(value, (torch.amp.autocast, torch.amp.GradScaler)):
        # Settings objects: what they will do is what they recorded (the deprecated
        # subclasses carry the same class name and add only their warning).
        settings = {k: repr(v) for k, v in vars(value).items() if isinstance(v, (bool, int, float, str, torch.dtype))}
        return {"type": type(value).__name__, "settings": sorted(settings.items())}
    if isinstance(value, tuple) and not isinstance(value, torch.Size):
        return {"type": "tuple", "items": [summarize(v, inputs) for v in value]}
    return {"type": type(value).__name__, "repr": repr(value)[:200]}


def _tensor_values(value, torch) -> str:  # noqa: ANN001
    if value.device.type == "meta":
        return "meta"  # no data to compare
    host = _host(value)
    return _digest(host.float().numpy() if host.dtype == torch.bfloat16 else host.numpy())


def _host(tensor):  # noqa: ANN001, ANN202 - a torch tensor in, one NumPy can read out
    """The tensor's values on the host, conjugate and negative views resolved (``.numpy()``
    refuses those views)."""
    return tensor.detach().cpu().resolve_conj().resolve_neg()


def _digest(array) -> str:  # noqa: ANN001
    """The values, exactly; every NaN counts as the same NaN."""
    import numpy as np

    data = np.array(array, order="C", copy=True)
    if data.dtype.kind in "fc" and data.size:
        data[np.isnan(data)] = np.nan  # one bit pattern for every NaN
    return hashlib.sha256(str(data.dtype).encode() + str(data.shape).encode() + data.tobytes()).hexdigest()[:16]


def _aliasing(value: Any, inputs: dict[str, Any]) -> list[str]:
    """The inputs whose memory the result shares: storage first, then a write probe."""
    import numpy as np
    import torch

    shared = []
    for name, given in inputs.items():
        if _shares(value, given, np, torch) or _write_shows(value, given, np, torch):
            shared.append(name)
    return sorted(shared)


def _write_shows(value: Any, given: Any, np, torch) -> bool:  # noqa: ANN001
    """A write probe: change the input's first element in place, see whether the result
    changes, and put the element back."""
    if not (isinstance(given, np.ndarray) and given.flags.writeable and given.size) or not isinstance(value, (np.ndarray, torch.Tensor)):
        return False
    if isinstance(value, torch.Tensor) and value.device.type != "cpu":
        return False
    before = _digest(_host(value).numpy() if isinstance(value, torch.Tensor) else value)
    index = (0,) * given.ndim
    old = given[index].copy()
    given[index] = ~old if given.dtype.kind == "b" else old + 1
    after = _digest(_host(value).numpy() if isinstance(value, torch.Tensor) else value)
    given[index] = old
    return before != after


def _shares(value: Any, given: Any, np, torch) -> bool:  # noqa: ANN001
    def storage(x):  # noqa: ANN001, ANN202
        if isinstance(x, torch.Tensor):
            if x.device.type == "meta":
                return None
            return x.untyped_storage().data_ptr(), x.untyped_storage().nbytes()
        if isinstance(x, torch.nn.Module):
            return None
        if isinstance(x, np.ndarray):
            base = x
            while isinstance(base.base, np.ndarray):
                base = base.base
            return base.__array_interface__["data"][0], base.nbytes
        return None

    if isinstance(value, torch.nn.Module) and isinstance(given, torch.nn.Module):
        return value is given
    a, b = storage(value), storage(given)
    if a is None or b is None or a[1] == 0 or b[1] == 0:
        return False
    return a[0] < b[0] + b[1] and b[0] < a[0] + a[1]


def _rng_digest() -> str:
    import random

    import numpy as np
    import torch

    parts = [torch.get_rng_state().numpy().tobytes(), repr(np.random.get_state()[1][:4]).encode(),  # type: ignore[index]  # the legacy tuple, the default; the stubs allow a dict
             repr(random.getstate()[1][:4]).encode()]
    if torch.cuda.is_initialized():
        parts.append(b"".join(s.numpy().tobytes() for s in torch.cuda.get_rng_state_all()))
    return hashlib.sha256(b"".join(parts)).hexdigest()[:16]
