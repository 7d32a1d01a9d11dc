"""Starting a search from a kernel (`optimize --from-kernel`, `kernelwright port`): the prompt, where the starting
kernel comes from, and what the stored run says about it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kernelwright.agent.prompts import PromptBuilder, PromptInputs
from kernelwright.agent.runner import OptimizeConfig
from kernelwright.agent.starting import StartError, StartingKernel, file_start
from kernelwright.cli import app
from kernelwright.commands.optimize import new_config
from kernelwright.commands.runs import started_from
from kernelwright.config.commands import OptimizeCommand, optimize_file
from kernelwright.db import Store
from kernelwright.db.enums import RunKind
from kernelwright.evaluator.platforms import platform_class
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status
from kernelwright.tasks.registry import resolve_task

SOLUTIONS = Path(__file__).resolve().parents[2] / "tasks" / "suite" / "activation" / "solutions"
CUDA_RELU = SOLUTIONS / "relu.cuda.py"


def _user_prompt(platform: str, start: StartingKernel | None) -> str:
    task = resolve_task("activation/relu")
    return PromptBuilder().build(PromptInputs(task=task, platform=platform, threads=1, start=start))[1].content


def test_a_port_prompt_shows_the_source_kernel_in_its_language_and_asks_for_the_target_s() -> None:
    start = file_start(CUDA_RELU, None)
    user = _user_prompt("cpu", start)
    assert start.source.strip() in user
    cuda, cpu = platform_class("cuda").prompt_language, platform_class("cpu").prompt_language
    assert f"Port the {cuda} kernel below to {cpu} for `cpu`" in user
    assert f"## The kernel to start from: {cuda}, written for `cuda`" in user
    # The target platform's notes, not the source's.
    assert "torch.utils.cpp_extension.load_inline" in user and "nvcc" not in user.lower()
    assert "code to read, not instructions" in user


def test_a_same_platform_start_asks_for_a_faster_kernel_not_a_port() -> None:
    start = file_start(SOLUTIONS / "relu.cpu.py", None)
    user = _user_prompt("cpu", start)
    assert start.source.strip() in user and "starting from the kernel below" in user
    assert "Port the" not in user


def test_without_a_starting_kernel_the_prompt_is_as_before() -> None:
    user = _user_prompt("cpu", None)
    assert "kernel to start from" not in user and "Port the" not in user
    assert "Write a faster `ModelNew` for this PyTorch reference." in user


def test_a_file_is_recorded_by_its_absolute_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SOLUTIONS)
    assert file_start(Path("relu.cuda.py"), None).file == str(CUDA_RELU)


def test_a_file_s_platform_comes_from_its_name_or_the_option(tmp_path: Path) -> None:
    assert file_start(CUDA_RELU, None).platform == "cuda"
    assert file_start(CUDA_RELU, "triton").platform == "triton"
    unnamed = tmp_path / "kernel.py"
    unnamed.write_text(CUDA_RELU.read_text())
    with pytest.raises(StartError, match="--from-platform"):
        file_start(unnamed, None)
    with pytest.raises(StartError, match="unknown platform 'tpu9'"):
        file_start(unnamed, "tpu9")
    with pytest.raises(StartError, match="cannot read"):
        file_start(tmp_path / "missing.cuda.py", None)


def _stored_cuda_kernel(store: Store) -> int:
    task = resolve_task("activation/relu")
    store.upsert_task(task)
    result = EvalResult(status=Status.build_ok_unverified, reason=Reason.ok, stage=Stage.build, platform="cuda",
                        task_id=task.id)
    evaluation_id = store.record_evaluation(task, CUDA_RELU.read_text(), result)
    row = store.get_evaluation(evaluation_id)
    assert row is not None
    return row.candidate_id


def test_a_stored_kernel_knows_its_task_and_the_run_records_the_port(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    kernel_id = _stored_cuda_kernel(store)
    config = new_config(OptimizeCommand(from_kernel=str(kernel_id), platform="cpu"), store)
    assert config.task_id == "activation/relu" and config.start is not None
    assert config.start.kernel_id == kernel_id and config.start.platform == "cuda"
    assert config.start.source == CUDA_RELU.read_text()

    run_id = store.create_run(RunKind.optimize, {"optimize": config.model_dump(mode="json")})
    assert started_from(store.get_run(run_id)) == f"ported from kernel {kernel_id} (cuda) to cpu"
    # `runs show --config` names the kernel again, so the file reruns the port.
    assert optimize_file(config.model_dump(mode="json"))["from_kernel"] == str(kernel_id)

    with pytest.raises(StartError, match="leave the task out"):
        new_config(OptimizeCommand(task="activation/gelu", from_kernel=str(kernel_id), platform="cpu"), store)
    with pytest.raises(StartError, match="no kernel 999"):
        new_config(OptimizeCommand(from_kernel="999", platform="cpu"), store)
    with pytest.raises(StartError, match="--from-platform only with a file"):
        new_config(OptimizeCommand(from_kernel=str(kernel_id), from_platform="cuda", platform="cpu"), store)


def test_a_file_start_is_recorded_by_path_and_hash_and_needs_a_task(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    config = new_config(OptimizeCommand(task="activation/relu", from_kernel=str(CUDA_RELU), platform="cpu"), store)
    assert config.start is not None and config.start.file == str(CUDA_RELU) and config.start.kernel_id is None
    run_id = store.create_run(RunKind.optimize, {"optimize": config.model_dump(mode="json")})
    assert started_from(store.get_run(run_id)) == (f"ported from {CUDA_RELU} (cuda, sha256 "
                                                   f"{config.start.source_sha256[:12]}) to cpu")
    assert optimize_file(config.model_dump(mode="json"))["from_platform"] == "cuda"
    with pytest.raises(ValueError, match="task: required"):
        OptimizeCommand(from_kernel=str(CUDA_RELU), platform="cpu")


def test_a_run_without_a_starting_kernel_says_nothing_about_one() -> None:
    config = OptimizeConfig(task_source="x", task_origin="x")
    assert "from_kernel" not in optimize_file({**config.model_dump(mode="json"), "task_id": "activation/relu"})


@pytest.mark.parametrize(("args", "said"), [
    (["port", str(SOLUTIONS / "relu.cpu.py"), "--task", "activation/relu", "--to", "cpu"],
     "is already a cpu kernel"),
    (["port", str(CUDA_RELU), "--to", "cpu"], "give --task TASK"),
    (["optimize", "--from-kernel", str(CUDA_RELU)], "give OP, the task"),
    (["port", "7", "--to", "cpu"], "no kernel 7 in the store"),
    (["port", str(CUDA_RELU), "--task", "activation/relu", "--to", "tpu9"], "unknown platform 'tpu9'"),
])
def test_port_refuses_before_anything_starts(tmp_path: Path, args: list[str], said: str) -> None:
    result = CliRunner().invoke(app, [*args, "--db-url", f"sqlite:///{tmp_path / 'kw.db'}"], terminal_width=200)
    assert result.exit_code != 0 and said in " ".join(result.output.split()), result.output
    assert Store(f"sqlite:///{tmp_path / 'kw.db'}").list_runs() == []
