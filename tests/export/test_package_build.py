"""An exported package builds what the evaluator measured (its flags), and on a machine without the CPU features
they assume, a portable build that says so. In process: the package's setup.py decision and check's interval."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from kernelwright.agent.export.package_apply import matching_modules
from kernelwright.agent.export.package_check import order_interval
from kernelwright.agent.export.package_setup import decide
from kernelwright.agent.export.sources import native_builds
from kernelwright.evaluator.build.cpp import BASE_FLAGS, measured_flags
from kernelwright.evaluator.stats import median_with_ci


def test_a_kernel_asking_for_an_owned_flag_gets_what_the_evaluator_gave_it() -> None:
    """Row 23: the kernel's own load_inline asks for -O0 and -march=native; the package compiles with what the
    evaluator's builder measured it with, not with what the kernel asked for."""
    kernel = "row23_flags_it_was_not_measured_with"
    builds = native_builds((Path(__file__).parents[1] / "adversarial" / "kernels" / f"{kernel}.py").read_text())
    assert [b.extra_cflags for b in builds] == [["-O0", "-funroll-loops", "-march=native"]]
    cxx, link = measured_flags(builds[0].extra_cflags, builds[0].extra_ldflags)
    assert cxx == [*BASE_FLAGS, "-funroll-loops"] and link == ["-fopenmp", "-lm"] and "-O0" not in cxx


CONFIG: dict[str, Any] = {"package": "kw_x", "assumed_features": ["__AVX2__", "__AVX512F__", "__FMA__"],
          "tuned_flags": ["-march=native"], "measured_cpu": "Box 9000",
          "extensions": [{"name": "kw_x._ext", "cxx": [*BASE_FLAGS, "-funroll-loops"]}]}


def test_the_measured_build_on_the_machine_that_measured_it() -> None:
    info = decide(CONFIG, ["__AVX2__", "__AVX512F__", "__FMA__"], "Box 9000")
    assert info["measured_here"] and info["flags"]["kw_x._ext"] == CONFIG["extensions"][0]["cxx"]


def test_same_features_on_another_cpu_keep_the_flags_but_claim_nothing() -> None:
    info = decide(CONFIG, ["__AVX2__", "__AVX512F__", "__FMA__", "__AMX_TILE__"], "Box 9001")
    assert info["measured_flags"] and not info["measured_here"]
    assert "not measured here" in info["note"]


def test_a_machine_without_the_features_builds_portable_and_says_so() -> None:
    info = decide(CONFIG, ["__AVX2__", "__FMA__"], "Box 9000")
    assert not info["measured_flags"] and not info["measured_here"] and info["missing_features"] == ["__AVX512F__"]
    assert "-march=native" not in info["flags"]["kw_x._ext"] and "-funroll-loops" in info["flags"]["kw_x._ext"]
    assert "lacks __AVX512F__" in info["note"] and "not measured here" in info["note"]
    unknown = decide(CONFIG, None, "Box 9000")
    assert not unknown["measured_flags"]


def test_the_package_interval_is_the_evaluators() -> None:
    for values in ([1.0], [1.2, 0.9], [3.0, 1.0, 2.0, 5.0, 4.0, 0.5, 2.5], [float(v % 7) for v in range(31)]):
        assert order_interval(values) == median_with_ci(values)


MODELS = '''
import torch
import torch.nn as nn


class Model(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class Swish(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(x)


class Other(nn.Module):
    def forward(self, x):
        return torch.relu(x)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = Swish()
        self.block = nn.Sequential(nn.Linear(4, 4), Other(), Swish())

    def forward(self, x):
        return self.block(self.head(x))
'''


def test_apply_swaps_every_submodule_whose_forward_is_the_tasks(tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODELS)
    spec = importlib.util.spec_from_file_location("kw_apply_models", tmp_path / "models.py")
    assert spec is not None and spec.loader is not None
    models = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(models)
    assert matching_modules(models.Net(), models.Model) == ["head", "block.2"]
