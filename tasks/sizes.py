"""Problem sizes: one task file, a CPU size (its literal constants) and optional named overrides.

A task keeps the KernelBench format: its module-level constants (`BATCH, DIM = 64, 16384`) are the CPU size
that other tools see. An optional `SIZES = {"gpu": {"BATCH": 1024}, "small": {...}}` names other sizes; the
harness picks one per platform and rewrites the constants' values in the source text, so derived constants
(`FLOPS = 2 * BATCH * DIM`) and `get_inputs()` follow without any change to the file's API.
"""

from __future__ import annotations

import ast
from typing import Any

from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.parsing import parse

DEFAULT_SIZE = "cpu"
KNOWN_SIZES = ("cpu", "gpu", "small")


def literal_assignment(tree: ast.Module, name: str, origin: str, kind: str) -> Any | None:
    """The literal value of the top-level `name = ...` of a parsed task, or None when it has none.

    `kind` says what the value must be, for the error when it is not a literal (`SIZES must be a literal ...`).
    """
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            try:
                return ast.literal_eval(node.value)
            except ValueError as exc:
                raise TaskLoadError(origin, f"{name} must be a literal {kind}") from exc
    return None


def declared_sizes(tree: ast.Module, origin: str) -> dict[str, dict[str, Any]]:
    """The `SIZES` overrides of a parsed task (`{}` when it has none)."""
    value = literal_assignment(tree, "SIZES", origin, "dict of dicts")
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise TaskLoadError(origin, "SIZES must map a size name to a dict of constant overrides")
    unknown = sorted(set(value) - set(KNOWN_SIZES))
    if unknown or DEFAULT_SIZE in value:
        raise TaskLoadError(origin, f"SIZES may name {', '.join(KNOWN_SIZES[1:])}; got {unknown or ['cpu']}")
    return value


def _assigned_values(tree: ast.Module) -> dict[str, ast.expr]:
    """Top-level `NAME = value` and `A, B = x, y` assignments: name -> the value's expression."""
    found: dict[str, ast.expr] = {}
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name):
                found[target.id] = node.value
            elif (isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple)
                  and len(target.elts) == len(node.value.elts)):
                found.update({t.id: v for t, v in zip(target.elts, node.value.elts) if isinstance(t, ast.Name)})
    return found


def sized_source(source: str, size: str, origin: str = "<task>") -> str:
    """The task's source with the constants of `size` substituted (unchanged for the CPU size)."""
    if size == DEFAULT_SIZE:
        return source
    try:
        tree = parse(source)
    except SyntaxError as exc:
        raise TaskLoadError(origin, f"syntax error at line {exc.lineno}: {exc.msg}") from exc
    sizes = declared_sizes(tree, origin)
    if size not in sizes:
        raise TaskLoadError(origin, f"no {size!r} size (it defines: {', '.join([DEFAULT_SIZE, *sizes])})")
    return rewrite_constants(source, sizes[size], origin, what=f"SIZES[{size!r}]")


def size_knobs(source: str, origin: str = "<task>") -> dict[str, int]:
    """The integer constants a task's `SIZES` overrides (its size knobs), at their CPU values."""
    try:
        tree = parse(source)
    except SyntaxError as exc:
        raise TaskLoadError(origin, f"syntax error at line {exc.lineno}: {exc.msg}") from exc
    values = _assigned_values(tree)
    knobs: dict[str, int] = {}
    for overrides in declared_sizes(tree, origin).values():
        for name in overrides:
            node = values.get(name)
            if isinstance(node, ast.Constant) and type(node.value) is int:
                knobs[name] = node.value
    return knobs


def rewrite_constants(source: str, values: dict[str, Any], origin: str = "<task>", what: str = "a size") -> str:
    """`source` with the top-level constants named in `values` set to those values (the rest of the text as it was)."""
    try:
        tree = parse(source)
    except SyntaxError as exc:
        raise TaskLoadError(origin, f"syntax error at line {exc.lineno}: {exc.msg}") from exc
    assigned = _assigned_values(tree)
    missing = sorted(set(values) - set(assigned))
    if missing:
        raise TaskLoadError(origin, f"{what} overrides {', '.join(missing)}, not assigned at top level")
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line.encode("utf-8")))
    data = source.encode("utf-8")
    spans = []
    for name, new in values.items():
        node = assigned[name]
        start = offsets[node.lineno - 1] + node.col_offset
        end = offsets[node.end_lineno - 1] + node.end_col_offset  # type: ignore[operator]
        spans.append((start, end, repr(new).encode("utf-8")))
    for start, end, text in sorted(spans, reverse=True):
        data = data[:start] + text + data[end:]
    return data.decode("utf-8")
