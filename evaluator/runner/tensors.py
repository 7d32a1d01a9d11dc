"""Tensors in and out of an arena (a sealed memfd): dense storage spans with dtype, shape and strides.

A dense tensor (contiguous, or a permutation of contiguous such as `x.t()`) travels with its own strides, so the
other side gets the same memory layout; any other layout travels as a contiguous copy. Reads go straight into a
freshly allocated tensor of the validated size, with pread: no mapping of memory the other side controls.
"""

from __future__ import annotations

import math
import os
from typing import Any

import torch

from kernelwright.evaluator.runner.protocol import DTYPES, Arg, TensorSpec

_DTYPE = {name: getattr(torch, name) for name in DTYPES}
_NAME = {dtype: name for name, dtype in _DTYPE.items()}
ALIGN = 64


class WireError(ValueError):
    """A tensor or argument that cannot cross (unsupported dtype, bad spec, short read)."""


class ArenaFull(WireError):
    """Tensors larger than the arena (whose size is the memory limit): a size problem, not a malformed one."""


def dtype_of(spec: TensorSpec) -> torch.dtype:
    return _DTYPE[spec.dtype]


def _memory_order(shape: list[int], stride: list[int]) -> list[int] | None:
    """The dimension order (outermost first) in which `stride` is a dense layout of `shape`, or None."""
    order = sorted(range(len(shape)), key=lambda d: (stride[d], shape[d]), reverse=True)
    expected = 1
    for dim in reversed(order):
        if shape[dim] != 1 and stride[dim] != expected:
            return None
        expected *= shape[dim]
    return order


def check_spec(spec: TensorSpec, arena_size: int) -> None:
    """`spec` describes a dense tensor that lies inside the arena; raises `WireError` otherwise."""
    if len(spec.shape) != len(spec.stride):
        raise WireError("shape and stride differ in length")
    numel = math.prod(spec.shape)
    if spec.nbytes != numel * _DTYPE[spec.dtype].itemsize:
        raise WireError(f"{spec.nbytes} bytes for {numel} elements of {spec.dtype}")
    if numel and _memory_order(spec.shape, spec.stride) is None:
        raise WireError("strides that are not a dense layout")
    if spec.offset + spec.nbytes > arena_size:
        raise ArenaFull("a tensor beyond the end of the arena")


def _dense(tensor: torch.Tensor) -> torch.Tensor:
    """`tensor` on the CPU with a dense layout (its own if it has one)."""
    t = tensor.detach().cpu()
    if t.numel() and _memory_order(list(t.shape), list(t.stride())) is None:
        t = t.contiguous()
    return t


def _bytes_view(t: torch.Tensor, spec: TensorSpec) -> memoryview:
    """The tensor's storage span (dense, in memory order) as writable bytes."""
    order = _memory_order(spec.shape, spec.stride) or list(range(len(spec.shape)))
    flat = t.permute(order) if order else t.reshape(1)
    if not flat.is_contiguous():
        raise WireError("internal: a dense tensor whose memory-order view is not contiguous")
    # ndarray.data is memoryview(array) (the same buffer); numpy types the buffer protocol only from Python 3.12.
    return flat.reshape(-1).view(torch.uint8).numpy().data


def placed(tensor: torch.Tensor, offset: int) -> tuple[torch.Tensor, TensorSpec]:
    """`tensor` on the CPU with a dense layout, and its spec at `offset` of an arena."""
    if tensor.dtype not in _NAME:
        raise WireError(f"tensors of dtype {tensor.dtype} cannot be exchanged")
    t = _dense(tensor)
    return t, TensorSpec(dtype=_NAME[t.dtype], shape=list(t.shape), stride=list(t.stride()), offset=offset,
                         nbytes=t.numel() * t.element_size())


def write_tensor(fd: int, offset: int, tensor: torch.Tensor) -> TensorSpec:
    """Write `tensor` at `offset` of the arena behind `fd`; returns its spec."""
    t, spec = placed(tensor, offset)
    if spec.nbytes:
        _pwrite_all(fd, _bytes_view(t, spec), offset)
    return spec


def copy_into(mapping: Any, tensor: torch.Tensor, spec: TensorSpec) -> None:
    """Copy the dense CPU `tensor` into a writable mapping of an arena, where `spec` places it (a memcpy through a
    mapping that stays populated: several times cheaper than a `pwrite` into shared memory)."""
    if spec.nbytes:
        view_of(mapping, spec).copy_(tensor)


def _pwrite_all(fd: int, view: memoryview, offset: int) -> None:
    """pwrite until done: one call moves at most ~2 GiB on Linux."""
    done = 0
    while done < len(view):
        written = os.pwrite(fd, view[done:], offset + done)
        if written <= 0:
            raise ArenaFull(f"wrote {done} of {len(view)} bytes (arena full?)")
        done += written


def empty_like_spec(spec: TensorSpec, device: torch.device | str = "cpu") -> torch.Tensor:
    return torch.empty_strided(spec.shape, spec.stride, dtype=_DTYPE[spec.dtype], device=device)


def view_of(buffer: Any, spec: TensorSpec) -> torch.Tensor:
    """A tensor laid out as `spec` over `buffer` (a writable mapping of the arena): no copy."""
    dtype = _DTYPE[spec.dtype]
    numel = spec.nbytes // dtype.itemsize
    if numel == 0:
        return torch.empty_strided(spec.shape, spec.stride, dtype=dtype)
    flat = torch.frombuffer(buffer, dtype=dtype, count=numel, offset=spec.offset)
    return flat.as_strided(spec.shape, spec.stride)


def read_into(fd: int, spec: TensorSpec, out: torch.Tensor) -> None:
    """Fill the CPU tensor `out` (laid out as `spec`) from the arena."""
    if not spec.nbytes:
        return
    view = _bytes_view(out, spec)
    done = 0
    while done < spec.nbytes:  # one call moves at most ~2 GiB on Linux
        got = os.preadv(fd, [view[done:]], spec.offset + done)
        if got <= 0:
            raise WireError(f"read {done} of {spec.nbytes} bytes")
        done += got


def read_tensor(fd: int, spec: TensorSpec, arena_size: int) -> torch.Tensor:
    """A new CPU tensor with the contents `spec` describes (validated first)."""
    check_spec(spec, arena_size)
    out = empty_like_spec(spec)
    read_into(fd, spec, out)
    return out


def aligned(offset: int) -> int:
    return (offset + ALIGN - 1) // ALIGN * ALIGN


def write_args(fd: int, args: list[Any], start: int = 0) -> tuple[list[Arg], int]:
    """Write a call's positional arguments; tensors go into the arena, plain values into the message."""
    specs: list[Arg] = []
    offset = start
    for value in args:
        if isinstance(value, torch.Tensor):
            spec = write_tensor(fd, offset, value)
            specs.append(Arg(tensor=spec))
            offset = aligned(offset + spec.nbytes)
        elif value is None or isinstance(value, (bool, int, float, str)):
            specs.append(Arg(value=value))
        elif isinstance(value, (list, tuple)) and all(v is None or isinstance(v, (bool, int, float, str))
                                                      for v in value):
            specs.append(Arg(value=list(value), is_tuple=isinstance(value, tuple)))
        else:
            raise WireError(f"an argument of type {type(value).__name__} cannot be passed (tensors and plain "
                            "numbers, strings, lists of them)")
    return specs, offset


def read_args(fd: int, specs: list[Arg], arena_size: int) -> list[Any]:
    """The arguments `specs` describes, tensors read from the arena onto the CPU."""
    check_total([a.tensor for a in specs if a.tensor is not None], arena_size)
    return [read_tensor(fd, a.tensor, arena_size) if a.tensor is not None
            else tuple(a.value) if a.is_tuple and isinstance(a.value, list) else a.value for a in specs]


def check_total(specs: list[TensorSpec], arena_size: int) -> None:
    """Several tensors together must fit the arena too (each one alone always does once `check_spec` passed)."""
    if sum(s.nbytes for s in specs) > arena_size:
        raise ArenaFull("tensors that together exceed the arena")


def arena(size: int, name: str) -> int:
    """A memfd of exactly `size` bytes, sealed so that nobody can grow or shrink it."""
    import fcntl

    fd = os.memfd_create(name, os.MFD_ALLOW_SEALING)
    os.ftruncate(fd, size)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_GROW | fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_SEAL)
    return fd
