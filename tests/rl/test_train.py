"""Trainers on tiny models built from a config with a locally trained tokenizer (HF_HUB_OFFLINE=1).

SFT: two steps change the weights (full and LoRA). GRPO: the tiny model is first taught (by SFT) to answer the
relu task with either its shipped CPU kernel or a reply without code, so sampled groups hold both and the
evaluator's rewards differ within a group; two GRPO steps with real evaluations (Ray actors) then change the
weights, and every rollout is stored in a `train` run that the next export picks up.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("trl")
os.environ["HF_HUB_OFFLINE"] = "1"

import torch  # noqa: E402

# Tiny models: one thread is fastest, and keeps step times steady on a shared 2-core CI machine.
torch.set_num_threads(1)
from tiny_lm import build_tiny_model  # noqa: E402

from kernelwright.agent.evaluators import ClusterConfig  # noqa: E402
from kernelwright.db import Store  # noqa: E402
from kernelwright.db.enums import RunKind, TurnOutcome  # noqa: E402
from kernelwright.evaluator import EvalOptions, Status  # noqa: E402
from kernelwright.evaluator.platforms import get_platform  # noqa: E402
from kernelwright.rl.curation import CurationConfig  # noqa: E402
from kernelwright.rl.export import ExportFormat, ExportOptions, export_dataset  # noqa: E402
from kernelwright.rl.prompts import TrainingPrompts  # noqa: E402
from kernelwright.rl.rewards import Failure, RewardConfig, failure_reward  # noqa: E402
from kernelwright.rl.trainers.grpo import GrpoOptions, train_grpo  # noqa: E402
from kernelwright.rl.trainers.sft import SftOptions, train_sft  # noqa: E402
from kernelwright.tasks.model import Task  # noqa: E402
from kernelwright.tasks.registry import resolve_task  # noqa: E402

RELU_KERNEL = Path("tasks/suite/activation/solutions/relu.cpu.py").read_text()
REPLY = f"```python\n{RELU_KERNEL}```\n"
NO_CODE = "No kernel."


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    from transformers import AutoModelForCausalLM

    return {k: v.clone() for k, v in AutoModelForCausalLM.from_pretrained(folder).state_dict().items()}


def _changed(before: dict[str, torch.Tensor], after: dict[str, torch.Tensor]) -> list[str]:
    assert before.keys() == after.keys()
    return [k for k in before if not torch.equal(before[k], after[k])]


def _sft_file(path: Path, prompt: list[dict[str, str]], replies: list[str]) -> Path:
    with path.open("w") as fh:
        for reply in replies:
            fh.write(json.dumps({"messages": [*prompt, {"role": "assistant", "content": reply}]}) + "\n")
    return path


@pytest.mark.parametrize("lora", [False, True])
def test_two_sft_steps_change_the_weights(tmp_path: Path, lora: bool) -> None:
    prompt = [{"role": "system", "content": "You write kernels."}, {"role": "user", "content": "Optimize relu."}]
    base = build_tiny_model(tmp_path / "base", [REPLY, "You write kernels.", "Optimize relu."])
    data = _sft_file(tmp_path / "sft.jsonl", prompt, [REPLY, REPLY])
    out = tmp_path / "sft"
    report = train_sft(SftOptions(model=base, data=data, output_dir=out, max_steps=2, learning_rate=1e-3,
                                  lora=lora, lora_r=4, lora_alpha=8))
    assert report.steps == 2 and report.final_loss is not None
    print(f"SFT steps (lora={lora}): {', '.join(f'{t:.3f}' for t in report.step_s)} s")
    changed = _changed(_weights(base), _weights(out))
    # LoRA trains only the adapters of linear layers, merged back in; embeddings and norms stay as they were.
    assert changed and (not lora or all("proj" in k for k in changed))
    assert (out / "tokenizer.json").is_file()


@pytest.fixture
def ray_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Ray without auth in a short private temp dir; no Ray process may outlive the test."""
    folder = tempfile.mkdtemp(prefix="kwray", dir="/tmp")
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    monkeypatch.setenv("RAY_TMPDIR", folder)
    yield folder
    leftovers = subprocess.run(["pgrep", "-f", folder], capture_output=True, text=True).stdout.split()
    shutil.rmtree(folder, ignore_errors=True)
    assert leftovers == [], "Ray processes outlived the trainer"


def _taught(tmp_path: Path, store: Store, task: Task, options: EvalOptions) -> Path:
    """The tiny model, taught by SFT to answer the task's prompt with its shipped kernel or with no code."""
    cpu = get_platform("cpu")
    cpu.prepare()
    prompt = [m.model_dump() for m in
              TrainingPrompts(store, "cpu", options, cpu.hardware(), cpu.peaks()).messages(task)]
    corpus = [m["content"] for m in prompt] + [REPLY, NO_CODE]
    base = build_tiny_model(tmp_path / "base", corpus * 4, whole_tokens=tuple(corpus))
    # Half the replies carry the kernel, half carry no code: sampling then yields both within one group.
    data = _sft_file(tmp_path / "sft.jsonl", prompt, [REPLY, NO_CODE] * 4)
    taught = tmp_path / "taught"
    train_sft(SftOptions(model=base, data=data, output_dir=taught, max_steps=50, batch_size=2,
                         learning_rate=2e-2))
    return taught


@pytest.mark.slow
def test_two_grpo_steps_with_evaluator_rewards_change_the_weights(tmp_path: Path, ray_tmp: str) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    task = resolve_task("activation/relu")
    options = EvalOptions(threads=1, correctness_trials=1)
    taught = _taught(tmp_path, store, task, options)
    out = tmp_path / "grpo"
    report = train_grpo(GrpoOptions(model=taught, output_dir=out, max_steps=2, num_generations=6,
                                    max_completion_length=4, learning_rate=1e-2, eval=options, seed=1,
                                    cluster=ClusterConfig(workers=1, temp_dir=ray_tmp)), [task], store)
    assert report.steps == 2 and report.rollouts == 12
    print(f"GRPO steps: {', '.join(f'{t:.2f}' for t in report.step_s)} s (6 completions each, evaluator included)")
    # Real verdicts: the shipped kernel is correct (a clipped log-speedup, at least the clip's floor), the no-code
    # replies score the no-candidate failure, below it; at least one group held both, so the weights moved.
    assert any(r >= -RewardConfig().max_log_speedup for r in report.rewards)
    assert failure_reward(Failure.no_candidate) in report.rewards
    assert _changed(_weights(taught), _weights(out))

    run = store.get_run(report.run_id)
    assert run is not None and run.kind is RunKind.train
    turns = [t for tr in store.trajectories_for_run(run.id) for t in store.turns_for_trajectory(tr.id)]
    assert len(turns) == 12 and all(t.outcome is not None for t in turns)
    judged = [t for t in turns if t.evaluation_id is not None]
    assert judged and all(t.outcome in (TurnOutcome.evaluated, TurnOutcome.cached) for t in judged)
    # Identical kernels are judged once: one evaluation per distinct candidate, except that an `unstable` verdict
    # (correct, timing unsettled: a loaded machine) says nothing final and is judged again at the next step.
    evaluated = [t for t in turns if t.outcome is TurnOutcome.evaluated]
    rows = [store.get_evaluation(t.evaluation_id) if t.evaluation_id is not None else None for t in evaluated]
    final = [t.candidate_id for t, row in zip(evaluated, rows)
             if row is None or row.result.status is not Status.unstable]
    assert len(final) == len(set(final)) and {t.candidate_id for t in evaluated} == {t.candidate_id for t in judged}
    # The training traces feed the next export (every timed correct kernel: the shipped relu kernel is about as
    # fast as eager, which the default export leaves out as not verified faster).
    exported = export_dataset(store, ExportOptions(format=ExportFormat.sft, out=tmp_path / "next.jsonl",
                                                   curation=CurationConfig(min_speedup=0.0)))
    records = [json.loads(line) for line in (tmp_path / "next.jsonl").read_text().splitlines()]
    timed = any(row is not None and row.result.speedup is not None for row in rows)  # not all `unstable`
    assert exported.records >= timed
    assert not records or (records[0]["run_kind"] == "train" and records[0]["run_id"] == run.id)


@pytest.mark.slow
def test_a_multi_turn_grpo_step_stores_trajectories_with_feedback_and_reports_returns(tmp_path: Path,
                                                                                       ray_tmp: str) -> None:
    store = Store(f"sqlite:///{tmp_path / 'kw.db'}")
    task = resolve_task("activation/relu")
    options = EvalOptions(threads=1, correctness_trials=1)
    taught = _taught(tmp_path, store, task, options)
    out = tmp_path / "grpo-multiturn"
    report = train_grpo(GrpoOptions(model=taught, output_dir=out, max_steps=1, num_generations=4, turns=2,
                                    gamma=0.4, max_completion_length=4, learning_rate=1e-2, eval=options, seed=1,
                                    cluster=ClusterConfig(workers=1, temp_dir=ray_tmp)), [task], store)
    assert report.steps == 1 and report.rollouts == 8 and len(report.rewards) == 8
    [step] = report.returns
    print(f"multi-turn GRPO step: {report.step_s[0]:.2f} s; mean return {step.mean_return:.3f} "
          f"± {step.return_std:.3f}; mean reward by turn {step.mean_reward_by_turn}")
    # R_0 = r_0 + 0.4 r_1 per trajectory; the report's rewards are each trajectory's turns in turn.
    first = [r0 + 0.4 * r1 for r0, r1 in zip(report.rewards[0::2], report.rewards[1::2], strict=True)]
    assert step.mean_return == pytest.approx(sum(first) / 4)
    trajectories = store.trajectories_for_run(report.run_id)
    assert len(trajectories) == 4
    for trajectory in trajectories:
        turns = store.turns_for_trajectory(trajectory.id)
        assert [t.index for t in turns] == [0, 1] and all(t.outcome is not None for t in turns)
        # The second prompt tells the model what the evaluator said about the first reply.
        assert "What the evaluator said about your previous attempt" in turns[1].prompt
        assert "What the evaluator said about your previous attempt" not in turns[0].prompt
    if len(set(first)) > 1:  # the group's first turns differed, so the step moved the weights
        assert _changed(_weights(taught), _weights(out))
