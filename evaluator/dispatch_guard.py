"""Record which PyTorch operators a candidate's forward dispatches (docs/reward-hacks.md row 1).

A candidate on the kernel track may allocate, view and copy tensors, but the arithmetic must happen in
its own kernel. A dispatch mode sees every ATen call, including those made from C++ through `at::`,
so a kernel that quietly calls `at::matmul` is caught as surely as a Python `x @ w`.
"""

from __future__ import annotations

from typing import Any

from torch.utils._python_dispatch import TorchDispatchMode

# Memory and layout operators: they move or describe data but compute nothing.
ALLOWED_OPS = {
    "empty", "empty_like", "empty_strided", "new_empty", "new_empty_strided", "zeros", "zeros_like",
    "new_zeros", "full", "full_like", "new_full", "ones", "ones_like", "new_ones", "fill_", "zero_",
    "view", "_unsafe_view", "reshape", "_reshape_alias", "as_strided", "t", "transpose", "permute",
    "expand", "squeeze", "unsqueeze", "select", "slice", "narrow", "detach", "alias", "split",
    "split_with_sizes", "unbind", "chunk", "flatten", "unflatten", "view_as", "expand_as",
    "contiguous", "clone", "copy_", "_to_copy", "to", "lift_fresh", "resize_", "set_",
    "_local_scalar_dense", "is_same_size", "sym_size", "sym_stride", "sym_numel", "sym_storage_offset",
    "dim", "size", "stride", "numel", "is_contiguous", "is_pinned",
}


def op_base_name(func: Any) -> str:
    """`aten.add.Tensor` -> `add`; `aten.add_.Tensor` -> `add_`."""
    return str(func.overloadpacket.__name__) if hasattr(func, "overloadpacket") else str(func)


class DispatchRecorder(TorchDispatchMode):
    """Counts every ATen operator called while active; `compute_ops` lists the disallowed ones."""

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        # torch wraps a mode's __torch_dispatch__ in dynamo.disable unless told not to, and importing dynamo for that
        # costs ~2 s per runner; nothing here is ever compiled.
        return False

    def __init__(self) -> None:
        super().__init__()
        self.ops: dict[str, int] = {}

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple = (), kwargs: dict | None = None) -> Any:
        name = op_base_name(func)
        self.ops[name] = self.ops.get(name, 0) + 1
        return func(*args, **(kwargs or {}))

    @property
    def compute_ops(self) -> list[str]:
        return sorted(op for op in self.ops if op not in ALLOWED_OPS)
