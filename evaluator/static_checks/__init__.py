"""Stage 1: static checks on a candidate's source, before any of it runs.

Each rule names the docs/reward-hacks.md row it stops and why. A rule that fires returns a `Finding`
with its reason code; the pipeline stops there with status `rejected` (or `build_error` for a
syntax error).
"""

from __future__ import annotations

from kernelwright.evaluator.platforms.base import Platform
from kernelwright.evaluator.result import Reason
from kernelwright.evaluator.static_checks.finding import Finding
from kernelwright.evaluator.static_checks.native_code import native_code_strings
from kernelwright.evaluator.static_checks.python_rules import (
    ARRAY_MODULES,
    array_compute,
    calls_and_attrs,
    except_fallback,
    imports,
    model_new_node,
    reference_use,
    strings_in,
    timer_patches,
)
from kernelwright.tasks.parsing import parse

__all__ = ["Finding", "check_source"]


def check_source(source: str, platform: Platform, allow_torch: bool = False) -> Finding | None:
    """Run every static rule; the first that fires is returned, or None when the source is clean."""
    try:
        tree = parse(source)
    except SyntaxError as exc:
        return Finding(Reason.syntax_error, f"syntax error at line {exc.lineno}: {exc.msg}")
    model_new = model_new_node(tree)
    if model_new is None:
        return Finding(Reason.no_model_new, "the candidate must define `class ModelNew(nn.Module)`")
    strings = strings_in(tree)
    # Row 1: a candidate on the kernel track must build a kernel for its platform.
    if not allow_torch and not platform.has_kernel(tree, strings):
        return Finding(Reason.no_kernel, f"no custom kernel: a `{platform.name}` candidate must build one with "
                       f"{platform.kernel_language} (calling PyTorch is only allowed with --allow-torch)")
    for rule in (imports, calls_and_attrs, timer_patches, native_code_strings):
        found = rule(tree, strings)
        if found:
            return found
    if not allow_torch:
        return (array_compute(tree, ARRAY_MODULES - platform.allowed_array_modules)
                or reference_use(tree, model_new) or except_fallback(tree, model_new))
    return None
