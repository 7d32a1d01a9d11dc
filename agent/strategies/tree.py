"""Best-first tree search over attempts (after STARK's memory of attempts): every judged kernel is a node; each
call expands the most promising node, and its child refines it with the node's verdict as feedback.

The most promising node is the fastest correct one, its speedup discounted by `DECAY` for every child it already
has (so a node that keeps producing nothing better yields to the next best); when none is correct, the failure
that got furthest (build < correctness < timing) with the fewest children, the newest first. With no node yet, a
call samples afresh: the first calls of the workers are the tree's roots.

Resume: the tree is rebuilt from the stored turns, each node under the candidate it was refined from (the
store's lineage), and each worker makes the calls it has left.
"""

from __future__ import annotations

import random

from kernelwright.agent.prompts import feedback_for
from kernelwright.agent.search import TrajectoryState
from kernelwright.agent.strategies import register
from kernelwright.agent.strategies.pool import Choice, Member, PoolStrategy
from kernelwright.evaluator.result import Stage

DECAY = 0.8  # a correct node's priority shrinks by this factor for each child it already has
STAGES = list(Stage)


def priority(member: Member) -> tuple[float, ...]:
    """Sort key of a node, highest first: any correct timed node above every failure."""
    if member.speedup is not None:
        return (1.0, member.speedup * DECAY ** member.children, float(member.candidate_id))
    return (0.0, float(STAGES.index(member.result.stage)), -float(member.children), float(member.candidate_id))


@register
class TreeStrategy(PoolStrategy):
    """Best-first expansion of the attempt tree by N workers, T calls each."""

    name = "tree"

    def describe(self) -> str:
        return f"tree: best-first, {self.config.trajectories} workers x {self.config.turns} calls"

    def choose(self, state: TrajectoryState, rng: random.Random) -> Choice:
        if not self.members:
            return Choice()
        node = max(self.members.values(), key=priority)
        return Choice(parents=[node], feedback=feedback_for(node.result, self.task))
