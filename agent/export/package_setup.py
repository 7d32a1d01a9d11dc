"""The `setup.py` of an exported kernel package, copied verbatim into it (Kernelwright imports it only for
`compiler_features`, never runs its build).

`build.json` beside it holds what the evaluator measured: each extension's compile flags exactly as the judge's
builder used them, the CPU features those flags assume (the macros `-march=native` turned on, on the machine
that exported the package) and the CPU model the kernel was timed on. At install this file asks the compiler what
`-march=native` means on *this* machine:

- every assumed feature is here: the extensions compile with the measured flags, unchanged;
- some are missing: the host-tuned flags are dropped (a portable build that runs here) and the package says the
  speedup was not measured on this machine.

What was decided is written to `src/<package>/build_info.json`, which the package reports at run time and
`python -m <package>.check` prints before timing the op on this machine.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
_FEATURE = re.compile(r"^#define (__[A-Z][A-Z0-9_]*__) 1$", re.MULTILINE)


def _macros(compiler: str, flags: list[str]) -> set[str] | None:
    try:
        proc = subprocess.run([compiler, *flags, "-dM", "-E", "-x", "c++", os.devnull], capture_output=True,
                              text=True, timeout=120, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return set(_FEATURE.findall(proc.stdout)) if proc.returncode == 0 else None


def compiler_features(compiler: str | None = None) -> list[str] | None:
    """The instruction-set macros `-march=native` adds on this machine (`__AVX2__`, `__FMA__`, ...), or None when
    the compiler cannot say."""
    cxx = compiler or os.environ.get("CXX") or "c++"
    base, native = _macros(cxx, []), _macros(cxx, ["-march=native"])
    if base is None or native is None:
        return None
    return sorted(native - base)


def cpu_model() -> str:
    """This machine's CPU model name, from /proc/cpuinfo ('' when unknown)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def decide(config: dict[str, Any], here: list[str] | None, model: str) -> dict[str, Any]:
    """Which flags to build with on a machine with CPU features `here` (None: unknown) and CPU model `model`."""
    assumed = config["assumed_features"]
    tuned = set(config["tuned_flags"])
    uses_tuned = any(f in tuned for ext in config["extensions"] for f in ext["cxx"])
    missing = sorted(set(assumed) - set(here)) if here is not None else ["(the compiler could not say)"]
    native = not uses_tuned or not missing
    same_cpu = bool(model) and model == config["measured_cpu"]
    if native and same_cpu:
        note = "built with the flags the evaluator measured, on the CPU model it measured on"
    elif native:
        note = (f"built with the flags the evaluator measured; this CPU ({model or 'unknown'}) is not the one "
                f"measured ({config['measured_cpu'] or 'unknown'}): the speedup was not measured here")
    else:
        note = (f"this CPU lacks {', '.join(missing)}, which the measured flags assume: built portable (without "
                f"{', '.join(sorted(tuned))}); the speedup was not measured here")
    flags = {ext["name"]: ext["cxx"] if native else [f for f in ext["cxx"] if f not in tuned]
             for ext in config["extensions"]}
    return {"measured_flags": native, "measured_here": native and same_cpu, "missing_features": [] if native
            else missing, "cpu": model, "measured_cpu": config["measured_cpu"], "flags": flags, "note": note}


def main() -> None:
    """Decide the flags, record them in the package, and build."""
    from setuptools import setup  # type: ignore[import-untyped]
    from torch.utils.cpp_extension import BuildExtension, CppExtension, CUDAExtension

    config = json.loads((HERE / "build.json").read_text())
    name = config["package"]
    info = decide(config, compiler_features(), cpu_model())
    (HERE / "src" / name / "build_info.json").write_text(json.dumps(info, indent=1))
    print(f"{name}: {info['note']}")
    modules = []
    for ext in config["extensions"]:
        kind = CUDAExtension if ext["nvcc"] is not None else CppExtension
        args: Any = {"cxx": info["flags"][ext["name"]], "nvcc": ext["nvcc"]} if ext["nvcc"] is not None \
            else info["flags"][ext["name"]]
        modules.append(kind(ext["name"], ext["sources"], extra_compile_args=args, extra_link_args=ext["link"]))
    setup(name=name, version="0.1.0", packages=[name], package_dir={"": "src"},
          package_data={name: ["export.json", "build_info.json", "csrc/*", "_points/*.py"]},
          ext_modules=modules, cmdclass={"build_ext": BuildExtension},
          install_requires=["torch"], extras_require={"test": ["pytest"]})


if __name__ == "__main__":
    main()
