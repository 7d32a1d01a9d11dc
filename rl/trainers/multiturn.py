"""Multi-turn GRPO: groups of whole trajectories, each turn credited with its discounted return.

Each step takes one task and samples a group of G trajectories of T turns (`num_generations` x `turns`). A turn
is what an agent's turn is (`agent/task_search.py`): a fresh prompt from the agents' `PromptBuilder` carrying the
evaluator's feedback on the trajectory's previous verdict (`feedback_for` / `no_code_feedback`, the agents' own
wording), the model's reply, and one verdict from the same judge single-prompt GRPO uses. A turn's reward is the
run's weighted reward (`rl.rewards`); its return is `R_t = r_t + gamma * R_{t+1}` (`R_T = 0`), so a turn whose
kernel failed but whose feedback led to a fast one later is paid for it (Kevin's multi-turn credit).

Why not TRL's GRPOTrainer: its advantage is one number per completion, normalized over a contiguous group of
`num_generations` completions of one prompt. Its `environment_factory` (tool calls inside one conversation, tool
output masked out) gives every turn of a rollout the same advantage; its `rollout_func` could only carry per-turn
returns by posing the T turn indices as T separate prompts of one batch and the dataset repeating each task T
times in order, with the returns smuggled through reward functions: contortions of an experimental API. This
loop keeps the parts that matter and nothing else: sampling with `model.generate`, the judge, returns,
per-turn-index advantages, a clipped policy-gradient loss (optional KL to the starting model), AdamW.
"""

from __future__ import annotations

import copy
import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, Field

from kernelwright.agent.prompts import feedback_for, no_code_feedback
from kernelwright.evaluator.result import EvalResult
from kernelwright.rl.rewards import Judged, flat_rewards_warning, weighted_reward
from kernelwright.rl.trainers.options import GrpoOptions
from kernelwright.tasks.model import Task

log = logging.getLogger("kernelwright.train")

# prompt(task, feedback on the previous verdict or None on the first turn) -> chat messages as dicts.
PromptFn = Callable[[Task, str | None], list[dict[str, str]]]



class TurnJudge(Protocol):
    """Judges one turn of a group's trajectories (`rl.rollouts.RolloutJudge` stores each as a turn of a trajectory
    started by `begin`)."""

    def begin(self, task_id: str, count: int) -> list[int]:
        """Start `count` trajectories on `task_id`; returns their ids."""
        ...

    async def __call__(self, prompts: list[Any], completions: list[Any], task_ids: list[str],
                       completion_ids: list[list[int]] | None = None, *, trajectories: list[int] | None = None,
                       turn: int = 0) -> list[EvalResult | None]:
        """One verdict per completion (None: no code), each completion turn `turn` of its trajectory."""
        ...

    def finish(self, trajectory_ids: list[int]) -> None:
        """Mark the trajectories finished."""
        ...


CLIP_EPSILON = 0.2  # the PPO/GRPO ratio clip, TRL's default `epsilon`
STD_EPSILON = 1e-4  # added to a turn index's return spread, as TRL's group scaling does


@dataclass
class TurnSample:
    """One turn of one trajectory: its prompt, the sampled reply (tokens and text), verdict and reward."""

    turn: int
    prompt: list[dict[str, str]]
    prompt_ids: list[int]
    completion_ids: list[int]
    text: str
    verdict: EvalResult | None = None
    reward: float = 0.0


class StepReturns(BaseModel):
    """What one multi-turn step saw: its task, and the spread of its trajectories' returns."""

    task_id: str
    mean_return: float = Field(description="mean over the group's trajectories of the first turn's return R_0")
    return_std: float = Field(description="spread (population std) of R_0 over the group")
    mean_reward_by_turn: list[float] = Field(description="mean reward r_t of each turn index over the group")
    loss: float = Field(description="the surrogate's value: about 0 on-policy (the ratio is 1 and advantages "
                        "average 0 per turn index); its gradient is what trains, so read the returns, not this")


def discounted_returns(rewards: Sequence[float], gamma: float) -> list[float]:
    """Each turn's return: its reward plus `gamma` times the next turn's return (`R_t = r_t + gamma R_{t+1}`)."""
    returns = [0.0] * len(rewards)
    following = 0.0
    for t in reversed(range(len(rewards))):
        following = rewards[t] + gamma * following
        returns[t] = following
    return returns


def turn_advantages(returns: Sequence[Sequence[float]]) -> list[list[float]]:
    """Advantages of a group's returns (`returns[i][t]`: trajectory i, turn t), normalized per turn index:
    `A[i][t] = (R[i][t] - mean_i R[i][t]) / (std_i R[i][t] + 1e-4)`.

    Per turn index, not over the whole group, because (1) an early turn's return sums more discounted rewards than
    a late one's, so pooling would score turn 0 high or low merely for coming first; (2) at one index the baseline
    is what the other G attempts at the same depth of the same task got, GRPO's baseline; (3) after turn 0 the
    prompts of a group differ (each carries its own feedback), so the same depth is as close to GRPO's "one
    prompt group" as multi-turn rollouts get. The sample std (and its epsilon) are TRL's group scaling; a turn
    index where every trajectory's return is equal gets zero advantage.
    """
    if len(returns) < 2:
        raise ValueError("a group needs at least two trajectories to have a baseline")
    turns = len(returns[0])
    if any(len(r) != turns for r in returns):
        raise ValueError("every trajectory of a group must have the same number of turns")
    advantages = [[0.0] * turns for _ in returns]
    for t in range(turns):
        column = [r[t] for r in returns]
        mean, std = statistics.fmean(column), statistics.stdev(column)
        for i, value in enumerate(column):
            advantages[i][t] = (value - mean) / (std + STD_EPSILON)
    return advantages


def next_feedback(verdict: EvalResult | None, task: Task) -> str:
    """What the next turn's prompt says about this turn's verdict, in the agents' words."""
    return no_code_feedback() if verdict is None else feedback_for(verdict, task)


def policy_loss(logps: Sequence[Any], old_logps: Sequence[Any], advantages: Sequence[float],
                ref_logps: Sequence[Any] | None = None, beta: float = 0.0) -> Any:
    """GRPO's clipped surrogate over turns: per turn, the mean over its completion tokens of
    `-min(ratio * A, clip(ratio, 1 - eps, 1 + eps) * A)` (+ `beta` times the k3 KL to the reference), then the
    mean over turns (each turn counts alike, however long). `logps[k]` are turn k's completion-token log-probs."""
    import torch

    losses = []
    for k, (lp, old) in enumerate(zip(logps, old_logps, strict=True)):
        ratio = torch.exp(lp - old)
        advantage = advantages[k]
        surrogate = torch.minimum(ratio * advantage,
                                  torch.clamp(ratio, 1 - CLIP_EPSILON, 1 + CLIP_EPSILON) * advantage)
        per_token = -surrogate
        if ref_logps is not None and beta:
            delta = ref_logps[k] - lp
            per_token = per_token + beta * (torch.exp(delta) - delta - 1)
        losses.append(per_token.mean())
    return torch.stack(losses).mean()


def completion_logps(model: Any, prompt_ids: list[int], completion_ids: list[int]) -> Any:
    """The log-probs the model gives each completion token after the prompt (a 1-D tensor)."""
    import torch

    device = next(model.parameters()).device
    ids = torch.tensor([prompt_ids + completion_ids], device=device)
    # Logits only where a completion token is predicted (the last len + 1 positions, less the very last), not over
    # the whole vocabulary at every prompt position.
    logits = model(input_ids=ids, logits_to_keep=len(completion_ids) + 1).logits[0, :-1].float()
    targets = torch.tensor(completion_ids, device=device)
    return torch.log_softmax(logits, dim=-1).gather(1, targets.unsqueeze(1)).squeeze(1)


class MultiTurnGrpo:
    """The multi-turn loop over one model: rollouts, returns, advantages, one optimizer step per group."""

    def __init__(self, model: Any, tokenizer: Any, judge: TurnJudge, prompt: PromptFn, options: GrpoOptions) -> None:
        import torch

        self.model, self.tokenizer, self.judge, self.prompt, self.options = model, tokenizer, judge, prompt, options
        self.optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate)
        # The starting model, frozen, only when the KL term needs it.
        self.reference = copy.deepcopy(model).eval().requires_grad_(False) if options.beta else None
        if options.gradient_checkpointing:
            # Active in training mode only, so sampling (in eval mode) keeps its cache. transformers 5 renamed it.
            enable = getattr(model, "activation_checkpointing_enable", None) or model.gradient_checkpointing_enable
            enable()
        self.rewards: list[float] = []  # every turn's weighted reward, trajectory by trajectory
        self.step_s: list[float] = []

    def _generate(self, prompts: list[list[dict[str, str]]]) -> list[tuple[list[int], list[int]]]:
        """(prompt ids, completion ids up to and including end-of-sequence) per prompt, sampled in one batch."""
        import torch

        tok = self.tokenizer
        encoded = [list(tok.apply_chat_template(p, add_generation_prompt=True, tokenize=True,
                                                return_dict=True)["input_ids"]) for p in prompts]
        pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
        width = max(len(ids) for ids in encoded)
        device = next(self.model.parameters()).device
        # Left padding, so that every row's reply starts at column `width`.
        input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in encoded], device=device)
        mask = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in encoded], device=device)
        self.model.eval()
        with torch.no_grad():
            # The whole distribution at `temperature`, as TRL's GRPO samples (top_k=0, top_p=1).
            out = self.model.generate(input_ids=input_ids, attention_mask=mask, do_sample=True, top_k=0, top_p=1.0,
                                      temperature=self.options.temperature,
                                      max_new_tokens=self.options.max_completion_length, pad_token_id=pad)
        samples = []
        for ids, row in zip(encoded, out[:, width:].tolist(), strict=True):
            end = row.index(tok.eos_token_id) + 1 if tok.eos_token_id in row else len(row)
            samples.append((ids, row[:end]))
        return samples

    async def rollouts(self, task: Task) -> list[list[TurnSample]]:
        """G trajectories of T turns on `task`; each turn judged once, its feedback in the next turn's prompt."""
        groups = self.options.num_generations
        trajectories: list[list[TurnSample]] = [[] for _ in range(groups)]
        feedback: list[str | None] = [None] * groups
        ids = self.judge.begin(task.id, groups)
        for turn in range(self.options.turns):
            prompts = [self.prompt(task, feedback[i]) for i in range(groups)]
            samples = [TurnSample(turn, prompt, prompt_ids, completion_ids,
                                  self.tokenizer.decode(completion_ids, skip_special_tokens=True))
                       for prompt, (prompt_ids, completion_ids) in zip(prompts, self._generate(prompts), strict=True)]
            verdicts = await self.judge(prompts, [s.text for s in samples], [task.id] * groups,
                                        [s.completion_ids for s in samples], trajectories=ids, turn=turn)
            for i, (sample, verdict) in enumerate(zip(samples, verdicts, strict=True)):
                sample.verdict = verdict
                sample.reward = weighted_reward(Judged(verdict, sample.text), self.options.reward.functions,
                                                self.options.reward)
                feedback[i] = next_feedback(verdict, task)
                trajectories[i].append(sample)
        self.judge.finish(ids)
        return trajectories

    def update(self, trajectories: list[list[TurnSample]], advantages: list[list[float]]) -> float:
        """One optimizer step on every turn's completion tokens, weighted by its advantage; returns the loss.

        The turns go through the model `micro_batch` at a time, each pass's share of the loss (its turns' part of
        the mean over all turns) backpropagated before the next pass, so only one pass's activations are alive and
        the gradient is that of the whole loss."""
        import torch

        turns = [s for trajectory in trajectories for s in trajectory]
        flat = [a for row in advantages for a in row]
        self.model.train()
        self.optimizer.zero_grad()
        total = 0.0
        size = self.options.micro_batch
        for start in range(0, len(turns), size):
            part = turns[start:start + size]
            logps = [completion_logps(self.model, s.prompt_ids, s.completion_ids) for s in part]
            ref = None
            if self.reference is not None:
                with torch.no_grad():
                    ref = [completion_logps(self.reference, s.prompt_ids, s.completion_ids) for s in part]
            # On-policy (one step per group): the sampling policy is the current one, so the ratio is 1 in value
            # and the clip binds only if samples are ever reused; the gradient is the policy gradient.
            loss = policy_loss(logps, [lp.detach() for lp in logps], flat[start:start + size], ref,
                               self.options.beta) * (len(part) / len(turns))
            loss.backward()
            total += float(loss.item())
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)  # TRL's default max_grad_norm
        self.optimizer.step()
        return total

    async def step(self, task: Task) -> StepReturns:
        """Sample a group on `task`, credit each turn with its return, and take one optimizer step."""
        start = time.perf_counter()
        trajectories = await self.rollouts(task)
        rewards = [[s.reward for s in trajectory] for trajectory in trajectories]
        returns = [discounted_returns(r, self.options.gamma) for r in rewards]
        flat_rewards = [r for row in rewards for r in row]
        self.rewards.extend(flat_rewards)
        warning = flat_rewards_warning(flat_rewards, [s.verdict for t in trajectories for s in t])
        if warning is not None:
            log.warning(warning)
        loss = self.update(trajectories, turn_advantages(returns))
        self.step_s.append(time.perf_counter() - start)
        first = [r[0] for r in returns]
        by_turn = [statistics.fmean(r[t] for r in rewards) for t in range(self.options.turns)]
        return StepReturns(task_id=task.id, mean_return=statistics.fmean(first),
                           return_std=statistics.pstdev(first), mean_reward_by_turn=by_turn, loss=loss)

    async def train(self, tasks: list[Task], steps: int) -> list[StepReturns]:
        """`steps` steps, one group each, cycling over `tasks`."""
        return [await self.step(tasks[k % len(tasks)]) for k in range(steps)]
