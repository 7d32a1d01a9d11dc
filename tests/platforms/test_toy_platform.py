"""A new platform is one file: `toy_platform.py` declares its facts, and prompts, placement, static checks, the
jail's devices, export and the no-hardware wording all follow them, with no other file changed. Also: platforms
are found through entry points, and a broken entry point is an error naming it, not a crash of the others."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint
from pathlib import Path

import pytest
from toy_platform import ToyPlatform

import kernelwright.evaluator.platforms as platforms
from kernelwright.agent.driver import verification_note
from kernelwright.agent.evaluators import ClusterConfig, EvaluatorPool
from kernelwright.agent.evaluators.placement import NodeInfo, plan_evaluators
from kernelwright.agent.prompts.builder import PromptBuilder, PromptInputs
from kernelwright.evaluator.platforms import get_platform, register
from kernelwright.evaluator.result import Reason
from kernelwright.evaluator.static_checks import check_source
from kernelwright.tasks.registry import example_solutions, resolve_task

GROUP = "kernelwright.platforms"


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry of this test's own (discovery runs again; what the test registers is forgotten after it)."""
    monkeypatch.setattr(platforms, "_REGISTRY", {})
    monkeypatch.setattr(platforms, "_BROKEN", {}, raising=False)
    monkeypatch.setattr(platforms, "_discovered", False, raising=False)


@pytest.fixture
def toy(fresh_registry: None) -> Iterator[str]:
    """The toy platform, registered by hand."""
    register("toy")(ToyPlatform)
    yield "toy"


class NotCpu(ToyPlatform):
    """A third party's platform that takes a built-in's name."""

    name = "cpu"


def _installed(monkeypatch: pytest.MonkeyPatch, *points: EntryPoint) -> None:
    """Pretend these entry points are installed (and nothing else)."""
    monkeypatch.setattr(platforms, "entry_points", lambda group: [p for p in points if p.group == group])


def toy_source(imports: str) -> str:
    return textwrap.dedent(f'''
        import torch.nn as nn
        {imports}

        KERNEL = """// toy kernel
        out = relu(x)
        """


        class ModelNew(nn.Module):
            def forward(self, x):
                return x
        ''')


def test_prompts_name_the_toy_language(toy: str) -> None:
    task = resolve_task("activation/relu")
    system, user = PromptBuilder().build(PromptInputs(task=task, platform=toy, threads=1))
    assert "your own ToyC kernel" in system.content
    assert "## Target: `toy`" in user.content


def test_placement_follows_needs_gpu(toy: str) -> None:
    nodes = [NodeInfo(node_id="cpu-only", address="a", cpus=8, gpus=0),
             NodeInfo(node_id="g2", address="b", cpus=8, gpus=2)]
    toy_plan = plan_evaluators(nodes, toy, None)
    assert [(p.node_id, p.num_gpus) for p in toy_plan] == [("g2", 1), ("g2", 1)]
    assert all(p.num_gpus == 0 for p in plan_evaluators(nodes, "cpu", None))


def test_no_hardware_wording_is_the_toy_platforms(toy: str) -> None:
    cluster = EvaluatorPool(ClusterConfig(), toy)
    assert verification_note(cluster) == ToyPlatform.no_hardware_note
    cluster.gpus = 1
    assert verification_note(cluster) is None


def test_static_checks_allow_only_the_toy_platforms_array_library(toy: str) -> None:
    platform = get_platform(toy)
    assert check_source(toy_source("import numpy"), platform) is None
    banned = check_source(toy_source("import scipy"), platform)
    assert banned is not None and banned.reason is Reason.banned_import and "`scipy`" in banned.message
    # Without the marker the toy's own kernel check fires, worded with its kernel language.
    missing = check_source(toy_source("").replace("// toy kernel", ""), platform)
    assert missing is not None and missing.reason is Reason.no_kernel and "ToyC" in missing.message


def test_the_cpu_platform_still_bans_numpy() -> None:
    solution = example_solutions(resolve_task("activation/relu"))["cpu"].read_text()
    assert check_source(solution, get_platform("cpu")) is None
    found = check_source("import numpy\n" + solution, get_platform("cpu"))
    assert found is not None and found.reason is Reason.banned_import and "`numpy`" in found.message


def test_export_ships_toy_kernels_as_python(toy: str) -> None:
    from kernelwright.agent.export.package import kernel_builds

    source = example_solutions(resolve_task("activation/relu"))["cpu"].read_text()
    assert kernel_builds(source, "cpu"), "the cpu kernel is compiled into the package"
    assert kernel_builds(source, toy) == []


def test_the_jail_shows_the_toy_device(toy: str) -> None:
    from kernelwright.evaluator.judge.judge import Judge
    from kernelwright.evaluator.request import EvalOptions
    from kernelwright.evaluator.runner.protocol import Role

    config = Judge().runner_config(get_platform(toy), EvalOptions(), 1, Role.candidate)
    assert config.devices == ["/dev/toy0"] and "/sys/class/toy" in config.read_only
    assert Judge().runner_config(get_platform("cpu"), EvalOptions(), 1, Role.candidate).devices == []


def test_a_platform_is_found_through_its_entry_point(fresh_registry: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch, EntryPoint("toy", "toy_platform:ToyPlatform", GROUP))
    assert platforms.available_platforms() == ["cpu", "cuda", "pallas", "toy", "triton"]
    assert isinstance(get_platform("toy"), ToyPlatform)


def test_a_broken_entry_point_is_an_error_naming_it_and_breaks_nothing_else(
        fresh_registry: None, monkeypatch: pytest.MonkeyPatch) -> None:
    _installed(monkeypatch,
               EntryPoint("gone", "no_such_package.gone:GonePlatform", GROUP),
               EntryPoint("notone", "toy_platform:MARKER", GROUP),
               EntryPoint("misnamed", "toy_platform:ToyPlatform", GROUP),
               EntryPoint("cpu", "test_toy_platform:NotCpu", GROUP))
    assert platforms.available_platforms() == ["cpu", "cuda", "pallas", "triton"]
    assert get_platform("cpu").kernel_language.startswith("C++"), "a built-in is never replaced"
    with pytest.raises(platforms.PlatformLoadError, match=r"entry point 'gone' \(no_such_package.gone:GonePlatform"
                       r".*ModuleNotFoundError"):
        get_platform("gone")
    with pytest.raises(platforms.PlatformLoadError, match="'notone'.*not a subclass"):
        get_platform("notone")
    with pytest.raises(platforms.PlatformLoadError, match="'misnamed'.*called 'toy'"):
        get_platform("misnamed")
    assert "would replace the platform 'cpu'" in platforms.platform_problems()["cpu"]
    with pytest.raises(ValueError, match="unknown platform 'nope'"):
        get_platform("nope")


def test_commands_name_a_broken_entry_point(fresh_registry: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from kernelwright.cli import app

    _installed(monkeypatch, EntryPoint("gone", "no_such_package.gone:GonePlatform", GROUP))
    refused = CliRunner().invoke(app, ["eval", "activation/relu", "example", "--platform", "gone", "--json"])
    assert refused.exit_code != 0 and "platform entry point 'gone'" in refused.output
    info = CliRunner().invoke(app, ["info", "--json"])
    assert info.exit_code == 0, info.output
    report = json.loads(info.stdout)
    assert report["platforms"] == ["cpu", "cuda", "pallas", "triton"]
    assert "ModuleNotFoundError" in report["broken_platforms"]["gone"]


def test_the_built_ins_declared_in_pyproject_agree_with_the_fallback_list(
        fresh_registry: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the package is reinstalled with pyproject's entry points, they load the same classes as the list the
    registry keeps for installs made before: no conflict, nothing broken."""
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    declared = pyproject["project"]["entry-points"][GROUP]
    assert declared == {p.name: p.value for p in platforms.BUILTIN}
    _installed(monkeypatch, *(EntryPoint(name, value, GROUP) for name, value in declared.items()))
    assert platforms.available_platforms() == ["cpu", "cuda", "pallas", "triton"]
    assert platforms.platform_problems() == {}
