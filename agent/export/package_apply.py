"""`python -m <package>.apply MODEL_FILE`: the exported op inside a whole model. Copied verbatim into every package
as `apply.py`; it depends on torch alone (`kernelwright apply` runs it in a process of its own).

A kernel-level speedup is not an end-to-end one. MODEL_FILE defines a model and its example inputs (`get_model()`
or `Model(*get_init_inputs())`, and `get_inputs()`). Every submodule whose class computes what the task's `Model`
computes (the same `forward` source) is swapped for the package's `Module`, or those named with `--module`; the
swapped model's outputs are checked against the unmodified model's, both are timed end to end in interleaved
rounds (median ratio, order-statistic interval), and the model-level speedup is printed next to the kernel's own
(`check`), with how many calls ran the kernel and how many fell back, and why. This runs the package's kernel in
this process, outside any jail: it is a measurement on the user's machine, not a verified verdict.
"""

from __future__ import annotations

import argparse
import copy
import importlib
import importlib.util
import inspect
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import torch
from torch import nn

PACKAGE = __name__.rpartition(".")[0] or Path(__file__).resolve().parent.name


def load_model_file(path: Path) -> tuple[nn.Module, list[Any]]:
    """The model and example inputs MODEL_FILE defines."""
    spec = importlib.util.spec_from_file_location("_kw_apply_model", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path} as Python")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    if hasattr(module, "get_model"):
        model = module.get_model()
    elif hasattr(module, "Model"):
        model = module.Model(*getattr(module, "get_init_inputs", list)())
    else:
        raise SystemExit(f"{path} defines neither get_model() nor Model")
    if not hasattr(module, "get_inputs"):
        raise SystemExit(f"{path} defines no get_inputs()")
    return model.eval(), list(module.get_inputs())


def _forward_text(cls: type) -> str | None:
    try:
        return textwrap.dedent(inspect.getsource(cls.forward)).strip()  # type: ignore[attr-defined]
    except (OSError, TypeError, AttributeError):
        return None


def matching_modules(model: nn.Module, reference: type) -> list[str]:
    """The submodules whose class has the task's `Model.forward`, word for word."""
    wanted = _forward_text(reference)
    return [name for name, sub in model.named_modules() if name and wanted and _forward_text(type(sub)) == wanted]


def _replacement(package: Any, runtime: Any, sub: nn.Module) -> tuple[nn.Module | None, str]:
    """The package's `Module` holding `sub`'s weights, built with constructor arguments the sweep tested (so the
    kernel may serve it), or None and why not."""
    state = sub.state_dict()
    shapes = {k: tuple(v.shape) for k, v in state.items()}
    for point in runtime.SPEC["test_points"]:
        init = runtime.point_task(point).get_init_inputs()
        candidate = package.Module(*init)
        theirs = {k: tuple(v.shape) for k, v in candidate.reference.state_dict().items()}
        if theirs == shapes:
            candidate.reference.load_state_dict(state)
            return candidate, ""
    return None, (f"its parameters {shapes or '(none)'} fit no constructor the sweep tested "
                  f"(points {', '.join(runtime.SPEC['test_points'])})")


def swapped(model: nn.Module, names: list[str]) -> tuple[nn.Module, list[str], dict[str, str]]:
    """A copy of `model` with the op in each named submodule: the copy, the names swapped, and why others were not."""
    package = importlib.import_module(PACKAGE)
    runtime = importlib.import_module(f"{PACKAGE}._runtime")
    result = copy.deepcopy(model)
    done, skipped = [], {}
    for name in names:
        try:
            sub = result.get_submodule(name)
        except AttributeError:
            skipped[name] = "no such submodule"
            continue
        new, why = _replacement(package, runtime, sub)
        if new is None:
            skipped[name] = why
            continue
        parent, _, leaf = name.rpartition(".")
        setattr(result.get_submodule(parent) if parent else result, leaf, new)
        done.append(name)
    return result, done, skipped


def apply(path: Path, modules: list[str] | None = None, rounds: int = 15) -> dict[str, Any]:
    """Swap, check and time the op in MODEL_FILE's model (see the module docstring)."""
    package = importlib.import_module(PACKAGE)
    runtime = importlib.import_module(f"{PACKAGE}._runtime")
    check = importlib.import_module(f"{PACKAGE}.check")
    model, inputs = load_model_file(path)
    names = modules or matching_modules(model, runtime._reference_module.Model)
    fast, done, skipped = swapped(model, names)
    result: dict[str, Any] = {"model_file": str(path), "swapped": done, "not_swapped": skipped}
    if not done:
        result["verdict"] = "nothing swapped: no submodule computes the task's Model (name one with --module)"
        return result
    tolerance = runtime.SPEC["tolerance"]
    with torch.no_grad():
        package.reset_fallbacks()
        got, want = fast(*inputs), model(*inputs)
        result["calls"] = {"kernel": package.kernel_calls(), "fallbacks": package.fallback_reasons()}
        result["max_abs_error"] = float((got - want).abs().max()) if got.numel() else 0.0
        result["outputs_match"] = bool(torch.allclose(got, want, atol=tolerance["atol"], rtol=tolerance["rtol"]))
        device = next((x.device.type for x in inputs if isinstance(x, torch.Tensor)), "cpu")
        one = max(check._batch_seconds(lambda: model(*inputs), 1, device), 1e-7)
        calls = max(1, int(check.MIN_BATCH_S / one) + 1)
        ratios = []
        for r in range(rounds):
            pair = [(model, True), (fast, False)] if r % 2 == 0 else [(fast, False), (model, True)]
            seconds = {eager: check._batch_seconds(lambda m=m: m(*inputs), calls, device) for m, eager in pair}
            ratios.append(seconds[True] / seconds[False])
    speedup, low, high = check.order_interval(ratios)
    kernel = check.measure(rounds=rounds)
    result.update(model_speedup=speedup, model_interval=[low, high], rounds=rounds,
                  kernel_speedup=kernel["speedup"], kernel_interval=kernel["interval"], build=kernel["build"]["note"])
    kernel_faster = kernel["interval"][0] > 1
    if not result["outputs_match"]:
        result["verdict"] = "the swapped model's outputs differ from the model's: do not use it here"
    elif low > 1:
        result["verdict"] = "the model is faster end to end"
    elif high < 1:
        result["verdict"] = "the model is slower end to end"
    else:
        result["verdict"] = ("the model is not measurably faster end to end (its interval holds 1.0)"
                             + (", though the kernel alone is faster: the op is too small a share of this model's "
                                "time" if kernel_faster else ""))
    return result


def report(result: dict[str, Any]) -> str:
    """`apply`'s result in words."""
    lines = [f"swapped: {', '.join(result['swapped']) or 'nothing'}"]
    lines += [f"not swapped: {name}: {why}" for name, why in result["not_swapped"].items()]
    if result["swapped"]:
        calls = result["calls"]
        lines += [f"outputs {'match' if result['outputs_match'] else 'DIFFER'} (max abs error "
                  f"{result['max_abs_error']:.3g})",
                  f"calls in one forward: {calls['kernel']} ran the kernel, {sum(calls['fallbacks'].values())} fell "
                  f"back" + (f" {calls['fallbacks']}" if calls["fallbacks"] else ""),
                  f"model end to end: {result['model_speedup']:.2f}x, 95% interval [{result['model_interval'][0]:.2f}, "
                  f"{result['model_interval'][1]:.2f}] ({result['rounds']} interleaved rounds)",
                  f"kernel alone:     {result['kernel_speedup']:.2f}x, 95% interval "
                  f"[{result['kernel_interval'][0]:.2f}, {result['kernel_interval'][1]:.2f}]",
                  f"build: {result['build']}"]
    lines.append(f"verdict: {result['verdict']}")
    return "\n".join(lines)


def main() -> None:
    """The command line: `python -m <package>.apply MODEL_FILE [--module NAME ...] [--rounds N] [--json]`."""
    parser = argparse.ArgumentParser(prog=f"python -m {PACKAGE}.apply", description=__doc__.splitlines()[0])
    parser.add_argument("model_file", type=Path)
    parser.add_argument("--module", action="append", help="a submodule to swap (default: every one that matches)")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = apply(args.model_file, args.module, max(args.rounds, 1))
    print(json.dumps(result) if args.json else report(result))
    sys.exit(0 if result.get("outputs_match", False) else 1)


if __name__ == "__main__":
    main()
