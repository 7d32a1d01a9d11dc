"""Load KernelBench / MultiKernelBench task files into `Task` models, without running them.

Loading parses the file: it must define `Model`, `get_inputs` and `get_init_inputs`, and its optional
constants must be literals. Running a task (the probe: does it import, run, vary with its inputs, and is its
reference output not degenerate, docs/reward-hacks.md row 7) is the evaluator's job, in its jail
(`evaluator.checked_task`); this module only keeps the probe's verdicts, by source hash.
"""

from __future__ import annotations

import ast
import functools
import operator
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from kernelwright.tasks.env import cache_dir, probe_timeout_s
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.hashing import sha256_text
from kernelwright.tasks.model import Category, Task, Tolerance, ToleranceFrom
from kernelwright.tasks.parsing import parse
from kernelwright.tasks.probe_result import ProbeResult
from kernelwright.tasks.sizes import DEFAULT_SIZE, declared_sizes, sized_source
from kernelwright.tasks.task_config import read_task_config

SUITE_DIR = Path(__file__).resolve().parent / "suite"
REQUIRED = ("Model", "get_inputs", "get_init_inputs")
PROBE_TIMEOUT_S = probe_timeout_s()
# Part of the on-disk probe cache key: bump it when the probe's checks change, so old verdicts are not reused.
# 3: probes run in the jail (verdicts of the old unjailed probe are not trusted).
# 4: probes record the operators the reference dispatches (imports categorize by them). 5: and the input shapes
# and dtypes (sweeps store them; an export's dispatch reads them). 6: a KernelBench TASK_CONFIG's atol/rtol is the
# task's tolerance, which the degenerate check uses (a verdict at the default tolerance no longer holds).
PROBE_VERSION = 6
_probe_cache: dict[str, ProbeResult] = {}


_BINOPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow, ast.Mod: operator.mod,
}


def _const_eval(node: ast.expr, env: dict[str, Any]) -> Any:
    """Evaluate a constant expression: literals, arithmetic, earlier constants, int()/float().

    Task authors write `FLOPS = 2 * M * N * K`; we read that without running the file.
    """
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        return _BINOPS[type(node.op)](_const_eval(node.left, env), _const_eval(node.right, env))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _const_eval(node.operand, env)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("int", "float"):
        if len(node.args) == 1 and not node.keywords:
            return {"int": int, "float": float}[node.func.id](_const_eval(node.args[0], env))
    if isinstance(node, (ast.Tuple, ast.List)):
        return [_const_eval(e, env) for e in node.elts]
    if isinstance(node, ast.Dict):
        return {_const_eval(k, env): _const_eval(v, env) for k, v in zip(node.keys, node.values) if k is not None}
    raise ValueError(f"not a constant expression: {ast.unparse(node)}")


def _module_constants(tree: ast.Module, origin: str) -> dict[str, Any]:
    wanted = {"CATEGORY", "LEVEL", "TOLERANCE", "FLOPS", "BYTES_MOVED"}
    env: dict[str, Any] = {}
    for node in tree.body:
        if not (isinstance(node, ast.Assign) and all(isinstance(t, (ast.Name, ast.Tuple)) for t in node.targets)):
            continue
        # Every target is a name or a tuple (checked above); `[]` is there for the type checker.
        names = [n.id for t in node.targets
                 for n in ([t] if isinstance(t, ast.Name) else t.elts if isinstance(t, ast.Tuple) else [])
                 if isinstance(n, ast.Name)]
        try:
            value = _const_eval(node.value, env)
        except (ValueError, TypeError, ZeroDivisionError, ArithmeticError) as exc:
            bad = wanted.intersection(names)
            if bad:
                raise TaskLoadError(origin, f"{sorted(bad)[0]} must be a constant expression ({exc})") from exc
            continue
        if len(names) == 1:
            env[names[0]] = value
        elif isinstance(value, list) and len(value) == len(names):
            env.update(zip(names, value))
    return {k: v for k, v in env.items() if k in wanted}


def defined_names(tree: ast.Module) -> set[str]:
    """Names a module defines at top level (functions, classes, assignments, imports), read without running it."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


def _category_from_path(path: Path | None) -> Category | None:
    if path is None:
        return None
    for part in reversed(path.resolve().parts[:-1]):
        if part in Category.__members__:
            return Category(part)
    return None


def _suite_id(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        rel = path.resolve().relative_to(SUITE_DIR)
    except ValueError:
        return None
    return rel.with_suffix("").as_posix()


def parse_task(source: str, origin: str, path: Path | None = None, task_id: str | None = None) -> Task:
    """The static step: a `Task` from source text, without executing it."""
    try:
        tree = parse(source, origin)
    except SyntaxError as exc:
        raise TaskLoadError(origin, f"syntax error at line {exc.lineno}: {exc.msg}") from exc
    names = defined_names(tree)
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise TaskLoadError(origin, f"missing {', '.join(missing)} (a task defines {', '.join(REQUIRED)})")
    consts = _module_constants(tree, origin)
    config = read_task_config(tree, origin, has_tolerance="TOLERANCE" in consts)
    # Kernelwright's own TOLERANCE wins over a KernelBench fork's TASK_CONFIG (tasks/task_config.py).
    tolerance = consts.get("TOLERANCE") or config.tolerance
    tolerance_from: ToleranceFrom = ("TOLERANCE" if "TOLERANCE" in consts
                                     else "TASK_CONFIG" if config.tolerance else "default")
    category = _category_from_path(path)
    if "CATEGORY" in consts:
        try:
            category = Category(consts["CATEGORY"])
        except ValueError as exc:
            choices = ", ".join(c.value for c in Category)
            raise TaskLoadError(origin, f"unknown CATEGORY {consts['CATEGORY']!r}; one of: {choices}") from exc
    level = consts.get("LEVEL")
    if level is None and path is not None:
        level = next((int(p[-1]) for p in path.resolve().parts if p in ("level1", "level2", "level3")), 1)
    digest = sha256_text(source)
    stem = path.stem if path is not None else (task_id or "task").split("/")[-1]
    tid = task_id or _suite_id(path) or f"user/{stem}-{digest[:8]}"
    try:
        return Task(
            id=tid,
            name=stem,
            category=category or Category.uncategorized,
            level=level or 1,
            source=source,
            source_hash=digest,
            path=str(path.resolve()) if path is not None else None,
            tolerance=Tolerance(**tolerance),
            tolerance_from=tolerance_from,
            notes=config.notes,
            flops=consts.get("FLOPS"),
            bytes_moved=consts.get("BYTES_MOVED"),
            description=(ast.get_docstring(tree) or "").strip(),
            sizes=[DEFAULT_SIZE, *declared_sizes(tree, origin)],
        )
    except (ValidationError, TypeError) as exc:
        raise TaskLoadError(origin, f"invalid task metadata: {exc}") from exc


def task_at_size(task: Task, size: str) -> Task:
    """The same task at another problem size: its constants rewritten, metadata and hash recomputed."""
    if size == task.size:
        return task
    if task.size != DEFAULT_SIZE:
        raise TaskLoadError(task.path or task.id, f"resize from the {DEFAULT_SIZE} size, not from {task.size!r}")
    origin = task.path or task.id
    source = sized_source(task.source, size, origin)
    sized = parse_task(source, origin, path=Path(task.path) if task.path else None, task_id=task.id)
    return sized.model_copy(update={"size": size, "sizes": task.sizes, "input_groups": task.input_groups})


def _probe_cache_file(source_hash: str) -> Path:
    return cache_dir() / "probes" / f"{source_hash}-v{PROBE_VERSION}.json"


def cached_probe(source_hash: str) -> ProbeResult | None:
    """A passing probe of the task with this source hash, from memory or the on-disk cache; None if never seen."""
    if source_hash in _probe_cache:
        return _probe_cache[source_hash]
    cached = _probe_cache_file(source_hash)
    if not cached.is_file():
        return None
    try:
        result = ProbeResult.model_validate_json(cached.read_text())
    except (OSError, ValidationError):
        return None
    if not result.ok:
        return None
    _probe_cache[source_hash] = result
    return result


def remember_probe(source_hash: str, result: ProbeResult) -> None:
    """Cache a passing probe of the task with this source hash (in memory and on disk)."""
    _probe_cache[source_hash] = result
    cached = _probe_cache_file(source_hash)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(result.model_dump_json())
    except OSError:
        pass  # a read-only cache only costs a re-probe next time


def _refusal_file(source_hash: str, limits: str) -> Path:
    return cache_dir() / "probes" / f"{source_hash}-v{PROBE_VERSION}-refused-{limits}.json"


def cached_refusal(source_hash: str, limits: str) -> ProbeResult | None:
    """A refusal of the task with this source hash under these limits (`limits` names them), remembered by an
    earlier import; None if there is none."""
    try:
        return ProbeResult.model_validate_json(_refusal_file(source_hash, limits).read_text())
    except (OSError, ValidationError):
        return None


def remember_refusal(source_hash: str, limits: str, result: ProbeResult) -> None:
    """Remember a refusal under these limits, so an import stopped half-way and run again does not probe it again
    (only imports read it back: an evaluation always probes a task that has not passed)."""
    cached = _refusal_file(source_hash, limits)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(result.model_dump_json())
    except OSError:
        pass  # a read-only cache only costs a re-probe next time


def load_task_source(source: str, origin: str = "<source>", task_id: str | None = None) -> Task:
    """Load a task from source text (parsed, not run)."""
    return parse_task(source, origin, task_id=task_id)


@functools.cache
def suite_held_out() -> frozenset[str]:
    """Ids of the suite's held-out tasks (`tasks/suite/held_out.txt`): benchmark-only, never training data."""
    lines = (SUITE_DIR / "held_out.txt").read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))


def load_task(path: str | Path, task_id: str | None = None) -> Task:
    """Load a task file (parsed, not run). Suite tasks carry their held-out mark."""
    p = Path(path)
    if not p.is_file():
        raise TaskLoadError(str(p), "no such file")
    try:
        source = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TaskLoadError(str(p), f"cannot read: {exc}") from exc
    task = parse_task(source, str(p), path=p, task_id=task_id)
    if p.resolve().parent.parent == SUITE_DIR.resolve() and task.id in suite_held_out():
        task = task.model_copy(update={"held_out": True})
    return task
