"""The native sources a kernel builds, read from its text without running it.

A candidate builds its extensions with `load_inline(...)` at import. An export compiles them ahead of time, so it
needs their arguments: each `load_inline` call's arguments are evaluated as constants (string and list literals,
module-level names bound to them, `+` and `*` of those). A kernel that computes its sources at run time cannot be
exported this way, and is told so.
"""

from __future__ import annotations

import ast
import re
from typing import Any

from pydantic import BaseModel

from kernelwright.tasks.parsing import parse

# A kernel's text is an attacker's: `"x" * 3_000_000_000` or doubling concatenations must not make the exporter
# (or the service serving a package) build gigabytes. No constant it reads may exceed the evaluator's source cap.
MAX_CONSTANT_BYTES = 2 * 2**20
LOAD_INLINE_PARAMS = ("name", "cpp_sources", "cuda_sources", "functions", "extra_cflags", "extra_cuda_cflags",
                      "extra_ldflags", "extra_include_paths")


class ExportError(Exception):
    """A kernel, task or sweep that cannot be exported, with what to do about it."""


class NativeBuild(BaseModel):
    """One `load_inline` call of a kernel, as plain data."""

    name: str
    module: str  # the Python name the package gives the compiled extension
    cpp_sources: list[str]
    cuda_sources: list[str] = []
    functions: list[str] = []
    extra_cflags: list[str] = []
    extra_cuda_cflags: list[str] = []
    extra_ldflags: list[str] = []


def _constant(node: ast.expr, env: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, float, bool, type(None))):
        return node.value
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, (ast.List, ast.Tuple)):
        return [_constant(e, env) for e in node.elts]
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(str(v.value) for v in node.values)  # type: ignore[attr-defined]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
        left, right = _constant(node.left, env), _constant(node.right, env)
        if isinstance(node.op, ast.Add):
            if isinstance(left, (str, list)):
                _check_size(len(left) + len(right), node)
            return left + right
        sequence, count = (left, right) if isinstance(left, (str, list)) else (right, left)
        if isinstance(sequence, (str, list)) and isinstance(count, int):
            _check_size(len(sequence) * max(count, 0), node)
        return left * right
    raise ExportError(f"line {node.lineno}: `{ast.unparse(node)[:60]}` is not a constant")


def _check_size(size: int, node: ast.expr) -> None:
    """Refuse a constant over `MAX_CONSTANT_BYTES` before it is built."""
    if size > MAX_CONSTANT_BYTES:
        raise ExportError(f"line {node.lineno}: a constant of {size} characters is over the "
                          f"{MAX_CONSTANT_BYTES}-character limit")


def _module_constants(tree: ast.Module) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                env[node.targets[0].id] = _constant(node.value, env)
            except (ExportError, TypeError):
                env.pop(node.targets[0].id, None)
    return env


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


def native_builds(source: str) -> list[NativeBuild]:
    """Every `load_inline` call of the kernel `source`; `ExportError` when one's arguments are not constants."""
    tree = parse(source)
    env = _module_constants(tree)
    builds = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        if called != "load_inline":
            continue
        args: dict[str, Any] = {}
        try:
            for param, arg in zip(LOAD_INLINE_PARAMS, node.args):
                args[param] = _constant(arg, env)
            for keyword in node.keywords:
                if keyword.arg in LOAD_INLINE_PARAMS:
                    args[keyword.arg] = _constant(keyword.value, env)
        except (ExportError, TypeError) as exc:
            raise ExportError(f"the kernel's load_inline call at line {node.lineno} is built at run time ({exc}); "
                              "an export compiles its sources ahead of time and needs them as literals") from exc
        if "name" not in args:
            raise ExportError(f"the load_inline call at line {node.lineno} has no name")
        name = str(args["name"])
        builds.append(NativeBuild(
            name=name, module="_ext_" + re.sub(r"\W", "_", name), cpp_sources=_strings(args.get("cpp_sources")),
            cuda_sources=_strings(args.get("cuda_sources")), functions=_strings(args.get("functions")),
            extra_cflags=_strings(args.get("extra_cflags")), extra_cuda_cflags=_strings(args.get("extra_cuda_cflags")),
            extra_ldflags=_strings(args.get("extra_ldflags"))))
    if len({b.module for b in builds}) != len(builds):
        raise ExportError("two load_inline calls share a name; an export needs one name per extension")
    return builds


def binding_source(build: NativeBuild) -> str:
    """The C++ file of one extension, as `load_inline` would have assembled it: the sources, then the bindings."""
    body = "\n".join(build.cpp_sources)
    defs = "\n".join(f'  m.def("{f}", torch::wrap_pybind_function({f}), "{f}");' for f in build.functions)
    bindings = f"\nPYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {{\n{defs}\n}}\n" if build.functions else ""
    return f"#include <torch/extension.h>\n{body}\n{bindings}"
