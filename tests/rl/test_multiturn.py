"""Multi-turn GRPO (rl/trainers/multiturn.py): discounted returns, per-turn-index advantages, the verdict's
feedback in the next turn's prompt, the loss's sign, and optimizer steps of the loop on a tiny random model with a
scripted judge (no evaluator, no Ray)."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

pytest.importorskip("transformers")

import torch  # noqa: E402

torch.set_num_threads(1)  # tiny models: one thread is fastest on a shared machine
from tiny_lm import build_tiny_model  # noqa: E402

from kernelwright.agent.prompts import feedback_for, no_code_feedback  # noqa: E402
from kernelwright.db import Store  # noqa: E402
from kernelwright.evaluator import EvalOptions  # noqa: E402
from kernelwright.evaluator.result import EvalResult, Reason, Stage, Status  # noqa: E402
from kernelwright.rl.prompts import TrainingPrompts  # noqa: E402
from kernelwright.rl.rewards import shaped_reward  # noqa: E402
from kernelwright.rl.trainers.multiturn import (  # noqa: E402
    MultiTurnGrpo,
    TurnSample,
    completion_logps,
    discounted_returns,
    policy_loss,
    turn_advantages,
)
from kernelwright.rl.trainers.options import GrpoOptions  # noqa: E402
from kernelwright.tasks.model import Task  # noqa: E402
from kernelwright.tasks.registry import resolve_task  # noqa: E402


def _result(status: Status, speedup: float | None = None, reason: Reason = Reason.ok,
            stage: Stage = Stage.done, message: str = "") -> EvalResult:
    ci = None if speedup is None else (speedup * 0.95, speedup * 1.05)
    timed = {} if speedup is None else {"baseline_ms": 2.0, "candidate_ms": 2.0 / speedup}
    return EvalResult(status=status, reason=reason, stage=stage, speedup=speedup, platform="cpu", speedup_ci=ci,
                      message=message, **timed)


FAST = _result(Status.correct, 2.0)
BUILD_ERROR = _result(Status.build_error, reason=Reason.compile_error, stage=Stage.build,
                      message="expected ';' before 'return' at line 12")


def test_a_turns_return_is_its_reward_plus_the_discounted_returns_after_it() -> None:
    # By hand: R2 = 2; R1 = 0 + 0.5 * 2 = 1; R0 = 1 + 0.5 * 1 = 1.5.
    assert discounted_returns([1.0, 0.0, 2.0], 0.5) == [1.5, 1.0, 2.0]
    assert discounted_returns([1.0, 0.0, 2.0], 0.0) == [1.0, 0.0, 2.0]  # each turn for itself
    assert discounted_returns([1.0, 0.0, 2.0], 1.0) == [3.0, 2.0, 2.0]  # every later turn in full
    # Kevin's 0.4: a failed first turn (-3) that led to a 2x kernel (log 2) is paid some of it.
    assert discounted_returns([-3.0, math.log(2.0)], 0.4) == pytest.approx([-3.0 + 0.4 * math.log(2.0),
                                                                            math.log(2.0)])
    assert discounted_returns([], 0.4) == []


def test_advantages_are_normalized_within_the_group_per_turn_index() -> None:
    returns = [[1.5, 1.0], [0.5, 3.0]]
    # Turn 0: mean 1, sample std 1/sqrt(2); turn 1: mean 2, sample std sqrt(2).
    s0, s1 = 0.5 ** 0.5, 2 ** 0.5
    expected = [[0.5 / (s0 + 1e-4), -1.0 / (s1 + 1e-4)], [-0.5 / (s0 + 1e-4), 1.0 / (s1 + 1e-4)]]
    assert turn_advantages(returns) == [pytest.approx(row) for row in expected]
    # Pooled over the whole group (mean 1.5), trajectory 0's turn 0 would score 0; per index it is the better
    # first turn of the two, and scores so.
    assert turn_advantages(returns)[0][0] > 0.7
    # An index where every trajectory got the same return teaches nothing at that index.
    assert [row[0] for row in turn_advantages([[1.0, 0.0], [1.0, 5.0], [1.0, 2.0]])] == [0.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="at least two trajectories"):
        turn_advantages([[1.0]])
    with pytest.raises(ValueError, match="same number of turns"):
        turn_advantages([[1.0], [1.0, 2.0]])


def test_turns_and_gamma_are_validated_and_default_to_single_prompt_grpo() -> None:
    options = GrpoOptions(model=Path("m"), output_dir=Path("o"))
    assert options.turns == 1 and options.gamma == 0.4
    for bad in ({"gamma": 1.5}, {"gamma": -0.1}, {"turns": 0}):
        with pytest.raises(ValidationError):
            GrpoOptions(model=Path("m"), output_dir=Path("o"), **bad)


def test_training_prompts_carry_the_feedback_where_the_agents_put_it(tmp_path: Path) -> None:
    task = resolve_task("activation/relu")
    with Store(f"sqlite:///{tmp_path / 'kw.db'}") as store:
        prompts = TrainingPrompts(store, "cpu", EvalOptions(threads=1), None, None, exemplars=0)
        first = prompts.messages(task)[-1].content
        later = prompts.messages(task, feedback_for(BUILD_ERROR, task))[-1].content
    assert "What the evaluator said about your previous attempt" not in first
    assert "What the evaluator said about your previous attempt" in later
    assert "expected ';' before 'return' at line 12" in later


class ScriptedJudge:
    """A judge that answers each call from a script: `verdicts[call][trajectory]`, recording what it was asked."""

    def __init__(self, verdicts: list[list[EvalResult | None]]) -> None:
        self.verdicts, self.calls = verdicts, 0
        self.prompts: list[list[Any]] = []
        self.started: list[int] = []
        self.finished: list[int] = []

    def begin(self, task_id: str, count: int) -> list[int]:
        ids = list(range(len(self.started), len(self.started) + count))
        self.started += ids
        return ids

    async def __call__(self, prompts: list[Any], completions: list[Any], task_ids: list[str],
                       completion_ids: list[list[int]] | None = None, *, trajectories: list[int] | None = None,
                       turn: int = 0) -> list[EvalResult | None]:
        assert len(completions) == len(task_ids) == len(prompts)
        # Turn t of the group's trajectories, in order, none of them finished yet.
        assert trajectories == self.started[-len(prompts):] and not set(trajectories) & set(self.finished)
        assert turn == self.calls % 2  # the tests run two turns
        self.prompts.append(prompts)
        self.calls += 1
        return self.verdicts[self.calls - 1]

    def finish(self, trajectory_ids: list[int]) -> None:
        self.finished += trajectory_ids


def _tiny(tmp_path: Path) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = build_tiny_model(tmp_path / "tiny", ["You write kernels.", "Optimize relu.", "```python\nx\n```"] * 4,
                              vocab_size=300, hidden=32)
    return AutoModelForCausalLM.from_pretrained(folder), AutoTokenizer.from_pretrained(folder)


def _prompt(task: Task, feedback: str | None) -> list[dict[str, str]]:
    return [{"role": "user", "content": f"Optimize {task.id}." + (f"\n\nFeedback:\n{feedback}" if feedback else "")}]


def _options(**extra: Any) -> GrpoOptions:
    return GrpoOptions(model=Path("tiny"), output_dir=Path("out"), max_completion_length=6, learning_rate=1e-2,
                       **({"num_generations": 3, "turns": 2} | extra))


def test_the_next_turns_prompt_carries_this_turns_verdict(tmp_path: Path) -> None:
    model, tokenizer = _tiny(tmp_path)
    task = resolve_task("activation/relu")
    judge = ScriptedJudge([[BUILD_ERROR, None, FAST], [FAST, FAST, FAST]])
    loop = MultiTurnGrpo(model, tokenizer, judge, _prompt, _options())
    torch.manual_seed(0)
    trajectories = asyncio.run(loop.rollouts(task))
    assert judge.calls == 2 and [len(t) for t in trajectories] == [2, 2, 2]
    assert judge.started == judge.finished == [0, 1, 2]
    first, second = judge.prompts
    assert all("Feedback" not in p[0]["content"] for p in first)
    # Each trajectory's second prompt says what the evaluator said about its own first reply, in the agents' words.
    for prompt, verdict in zip(second, [BUILD_ERROR, None, FAST], strict=True):
        said = no_code_feedback() if verdict is None else feedback_for(verdict, task)
        assert prompt[0]["content"].endswith(said)
    assert "expected ';' before 'return' at line 12" in second[0][0]["content"]
    assert [s.reward for s in trajectories[1]] == [shaped_reward(None), shaped_reward(FAST)]


def test_the_loss_raises_the_log_probs_of_positive_advantage_turns(tmp_path: Path) -> None:
    model, tokenizer = _tiny(tmp_path)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Optimize relu."}],
                                           add_generation_prompt=True, tokenize=True, return_dict=True)["input_ids"]
    good, bad = [11, 12, 13], [21, 22, 23]

    def logps() -> list[torch.Tensor]:
        return [completion_logps(model, list(prompt), ids) for ids in (good, bad)]

    before = [lp.detach().sum() for lp in logps()]
    current = logps()
    loss = policy_loss(current, [lp.detach() for lp in current], [1.0, -1.0])
    # On-policy the ratio is 1, so the loss is minus the mean advantage: 0 here, its gradient the policy gradient.
    assert loss.item() == pytest.approx(0.0)
    loss.backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    after = [lp.detach().sum() for lp in logps()]
    assert after[0] > before[0] and after[1] < before[1]


def test_the_kl_term_is_the_k3_estimate_against_the_reference() -> None:
    lp = torch.tensor([-1.0, -2.0])
    ref = torch.tensor([-1.5, -2.0])  # the reference gives the first token less, the second the same
    k3 = math.exp(-0.5) + 0.5 - 1
    assert policy_loss([lp], [lp], [0.0], [ref], beta=0.1).item() == pytest.approx(0.1 * k3 / 2)
    assert policy_loss([lp], [lp], [0.0], [lp], beta=0.1).item() == pytest.approx(0.0)
    assert policy_loss([lp], [lp], [0.0], [ref], beta=0.0).item() == pytest.approx(0.0)


def _weights(model: Any) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_optimizer_steps_move_the_weights_toward_the_higher_return_trajectory(tmp_path: Path) -> None:
    model, tokenizer = _tiny(tmp_path)
    task = resolve_task("activation/relu")
    # Trajectory 0 fails then finds a 2x kernel; 1 never produces code; 2 fails to build twice. Two steps.
    step = [[BUILD_ERROR, None, BUILD_ERROR], [FAST, None, BUILD_ERROR]]
    judge = ScriptedJudge(step + step)
    loop = MultiTurnGrpo(model, tokenizer, judge, _prompt, _options(gamma=0.5))
    torch.manual_seed(0)
    trajectories = asyncio.run(loop.rollouts(task))
    returns = [discounted_returns([s.reward for s in t], 0.5) for t in trajectories]
    advantages = turn_advantages(returns)
    # Trajectory 0's first turn failed like trajectory 2's, but is credited with what its feedback led to.
    assert advantages[0][0] > advantages[2][0]
    start = _weights(model)

    def mean_logps() -> list[float]:
        with torch.no_grad():
            return [float(completion_logps(model, s.prompt_ids, s.completion_ids).mean())
                    for t in trajectories for s in t]

    before = mean_logps()
    loop.update(trajectories, advantages)
    after = mean_logps()
    assert any(not torch.equal(start[k], v) for k, v in _weights(model).items())
    # The highest-advantage turn's log-probs rose relative to the lowest-advantage turn's.
    flat = [a for row in advantages for a in row]
    best, worst = flat.index(max(flat)), flat.index(min(flat))
    assert after[best] - before[best] > after[worst] - before[worst]

    # A whole step (rollouts, returns, update) reports the group's mean return and its spread.
    stats = asyncio.run(loop.step(task))
    rewards = [[shaped_reward(BUILD_ERROR), shaped_reward(FAST)], [shaped_reward(None)] * 2,
               [shaped_reward(BUILD_ERROR)] * 2]
    first = [r[0] + 0.5 * r[1] for r in rewards]
    assert stats.mean_return == pytest.approx(sum(first) / 3)
    assert stats.return_std == pytest.approx(torch.tensor(first).std(unbiased=False).item())
    assert stats.mean_reward_by_turn == pytest.approx([sum(r[t] for r in rewards) / 3 for t in (0, 1)])
    assert judge.calls == 4 and len(loop.rewards) == 6 and len(loop.step_s) == 1


def test_completion_log_probs_are_computed_from_the_completion_positions_only(tmp_path: Path) -> None:
    model, _ = _tiny(tmp_path)
    prompt, completion = [3, 4, 5, 6], [11, 12, 13]
    seen: list[int] = []
    original = model.forward

    def forward(*args: Any, **kwargs: Any) -> Any:
        out = original(*args, **kwargs)
        seen.append(out.logits.shape[1])
        return out

    model.forward = forward  # type: ignore[method-assign]
    logps = completion_logps(model, prompt, completion)
    assert seen == [len(completion) + 1]  # not one row of logits per prompt position
    with torch.no_grad():
        full = torch.log_softmax(original(input_ids=torch.tensor([prompt + completion])).logits[0], dim=-1)
    expected = full[len(prompt) - 1:-1].gather(1, torch.tensor(completion).unsqueeze(1)).squeeze(1)
    torch.testing.assert_close(logps.detach(), expected)


def test_the_update_in_micro_batches_with_checkpointing_has_the_whole_groups_gradient(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model, tokenizer = _tiny(tmp_path)
    start = _weights(model)
    prompt = list(tokenizer.apply_chat_template([{"role": "user", "content": "Optimize relu."}],
                                                add_generation_prompt=True, tokenize=True,
                                                return_dict=True)["input_ids"])
    replies = [[11, 12, 13], [21, 22], [31, 32, 33, 34], [41], [51, 52], [61, 62, 63]]
    trajectories = [[TurnSample(t, [], prompt, replies[2 * i + t], "") for t in range(2)] for i in range(3)]
    advantages = [[1.0, -0.5], [-1.0, 0.2], [0.3, 0.9]]
    backwards = 0
    original = torch.Tensor.backward

    def counted(self: torch.Tensor, *args: Any, **kwargs: Any) -> None:
        nonlocal backwards
        backwards += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "backward", counted)

    def gradients(**extra: Any) -> tuple[dict[str, torch.Tensor], float, bool]:
        model.load_state_dict(start)
        loop = MultiTurnGrpo(model, tokenizer, ScriptedJudge([]), _prompt, _options(**extra))
        loss = loop.update(trajectories, advantages)
        grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
        # transformers 5 renamed these (the old names warn); earlier 5.x have only the old ones.
        if hasattr(model, "activation_checkpointing_disable"):
            checkpointing = model.is_activation_checkpointing
            model.activation_checkpointing_disable()
        else:
            checkpointing = model.is_gradient_checkpointing
            model.gradient_checkpointing_disable()
        return grads, loss, checkpointing

    # The defaults: one turn per pass (six backward passes, one per turn), activations recomputed.
    one, one_loss, checkpointed = gradients()
    assert backwards == 6 and checkpointed
    whole, whole_loss, plain = gradients(micro_batch=3, gradient_checkpointing=False)
    assert backwards == 6 + 2 and not plain
    assert one.keys() == whole.keys() and one
    for name in one:
        torch.testing.assert_close(one[name], whole[name], rtol=1e-4, atol=1e-6)
    assert one_loss == pytest.approx(whole_loss, abs=1e-6)


class FakeCluster:
    """Evaluator actors stand-in: every kernel is judged FAST on one fake machine, and each call is counted."""

    platform = "cpu"

    def __init__(self) -> None:
        self.sources: list[str] = []

    async def evaluate(self, task: Task, source: str, options: EvalOptions) -> Any:
        from kernelwright.agent.evaluators import EvaluatorSite, Judged
        from kernelwright.evaluator.platforms.base import HardwareInfo

        self.sources.append(source)
        site = EvaluatorSite(node_id="node", node_address="127.0.0.1",
                             hardware=HardwareInfo(fingerprint="fake", description="a fake CPU"))
        return Judged(result=FAST.model_copy(update={"task_id": task.id}), site=site)


def test_a_multi_turn_rollout_is_stored_as_one_trajectory_with_a_turn_per_call(tmp_path: Path) -> None:
    from kernelwright.db.enums import RunKind
    from kernelwright.rl.rollouts import RolloutJudge

    task = resolve_task("activation/relu")
    kernels = [f"```python\nimport torch\nclass ModelNew(torch.nn.Module):\n    version = {k}\n```" for k in range(3)]
    with Store(f"sqlite:///{tmp_path / 'kw.db'}") as store:
        store.upsert_task(task)
        run_id = store.create_run(RunKind.train, {})
        cluster = FakeCluster()
        judge = RolloutJudge(store, cluster, run_id, {task.id: task}, EvalOptions(threads=1), "tiny")  # type: ignore[arg-type]
        ids = judge.begin(task.id, 2)
        prompt = [{"role": "user", "content": "p"}]
        asyncio.run(judge([prompt, prompt], [kernels[0], "no code"], [task.id] * 2, trajectories=ids, turn=0))
        asyncio.run(judge([prompt, prompt], [kernels[1], kernels[2]], [task.id] * 2, trajectories=ids, turn=1))
        judge.finish(ids)
        trajectories = store.trajectories_for_run(run_id)
        assert [t.id for t in trajectories] == ids and all(t.stop_reason == "multi-turn GRPO rollout"
                                                           for t in trajectories)
        first, second = (store.turns_for_trajectory(i) for i in ids)
        assert [t.index for t in first] == [t.index for t in second] == [0, 1]
        # The second kernel of trajectory 0 descends from its first; trajectory 1's first turn had no code.
        candidates = [store.get_candidate(t.candidate_id) if t.candidate_id else None for t in first + second]
        assert candidates[2] is None and None not in (candidates[0], candidates[1], candidates[3])
        assert candidates[1].parent_id == candidates[0].id and candidates[3].parent_id is None  # type: ignore[union-attr]
    assert len(cluster.sources) == 3


def test_train_grpo_s_multi_turn_path_wires_prompts_judge_store_and_report(tmp_path: Path) -> None:
    # train_grpo minus Ray: the tiny random model writes no code, so the fake cluster is never asked.
    from kernelwright.db.enums import RunKind
    from kernelwright.rl.trainers.grpo import _train_multiturn

    folder = build_tiny_model(tmp_path / "tiny", ["You write kernels.", "Optimize relu."] * 4, vocab_size=300,
                              hidden=32)
    task = resolve_task("activation/relu")
    options = GrpoOptions(model=folder, output_dir=tmp_path / "out", max_steps=1, num_generations=2, turns=2,
                          gamma=0.5, max_completion_length=3, exemplars=0, eval=EvalOptions(threads=1))
    with Store(f"sqlite:///{tmp_path / 'kw.db'}") as store:
        store.upsert_task(task)
        run_id = store.create_run(RunKind.train, {})
        cluster = FakeCluster()
        report = _train_multiturn(options, [task], store, cluster, run_id, None, None)  # type: ignore[arg-type]
        turns = [store.turns_for_trajectory(t.id) for t in store.trajectories_for_run(run_id)]
    assert cluster.sources == [] and report.steps == 1 and report.rollouts == 4
    no_code = shaped_reward(None)
    assert report.rewards == [no_code] * 4
    [step] = report.returns
    assert step.mean_return == pytest.approx(1.5 * no_code) and step.return_std == 0.0
    assert [[t.index for t in trajectory] for trajectory in turns] == [[0, 1], [0, 1]]
    said = no_code_feedback().splitlines()[0]  # the agents' words for a reply without code
    assert all(said not in first.prompt and said in second.prompt for first, second in turns)
    assert (tmp_path / "out" / "config.json").is_file()
