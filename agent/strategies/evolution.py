"""An evolutionary program database (after AlphaEvolve / OpenEvolve): each worker is an island that evolves its
own population; a call refines one parent or crosses two over, both shown in the prompt; now and then an island's
best kernel migrates to the next island.

Parents are chosen by speed and by diversity: the island's members are grouped into score buckets (failures by
status, correct kernels by speedup on a log scale); a bucket is drawn uniformly, so a crowd of near-identical
kernels (members are unique by normalized hash already) cannot crowd out the rest, and within it a member is drawn
in proportion to its score. With probability `EXPLOIT` the island's best is taken instead.

Resume: the islands are rebuilt from the stored turns (each kernel on the island that made it); migrants are not
stored, so they return with the next migration.
"""

from __future__ import annotations

import math
import random

from kernelwright.agent.prompts import feedback_for
from kernelwright.agent.search import TrajectoryState
from kernelwright.agent.strategies import register
from kernelwright.agent.strategies.base import SearchHost
from kernelwright.agent.strategies.pool import Choice, Member, PoolStrategy

CROSSOVER = 0.5  # chance of combining two correct parents, when the island has two
EXPLOIT = 0.3  # chance of taking the island's best instead of a draw by bucket
MIGRATE_EVERY = 2  # an island sends its best to the next one after every this many of its calls


def score(member: Member) -> float:
    """What selection weighs: the speedup of a correct timed kernel; a little for correct-untimed; less for a
    failure (it still carries feedback)."""
    if member.speedup is not None:
        return member.speedup
    return 0.5 if member.result.is_correct else 0.05


def bucket(member: Member) -> str:
    """The diversity bucket: a failure's status, or a correct kernel's speedup on a quarter-octave scale."""
    if member.speedup is None:
        return member.result.status.value
    return f"x{math.floor(4 * math.log2(max(member.speedup, 1e-6)))}"


def select(members: list[Member], rng: random.Random) -> Member:
    """One parent: the best with probability `EXPLOIT`, else a uniform bucket, then a draw weighted by score."""
    if rng.random() < EXPLOIT:
        return max(members, key=lambda m: (score(m), -m.candidate_id))
    buckets: dict[str, list[Member]] = {}
    for member in sorted(members, key=lambda m: m.candidate_id):
        buckets.setdefault(bucket(member), []).append(member)
    group = buckets[rng.choice(sorted(buckets))]
    return rng.choices(group, weights=[score(m) for m in group])[0]


@register
class EvolutionStrategy(PoolStrategy):
    """Islands of a program database: worker i evolves island i."""

    name = "evolution"

    def __init__(self, search: SearchHost) -> None:
        super().__init__(search)
        self.islands: dict[int, dict[int, Member]] = {}

    def describe(self) -> str:
        return f"evolution: {self.config.trajectories} islands x {self.config.turns} calls"

    def admit(self, member: Member) -> None:
        super().admit(member)
        # A kernel another island made first joins this island too, as the one pool member it is.
        self.islands.setdefault(member.worker, {}).setdefault(member.candidate_id, self.members[member.candidate_id])

    def choose(self, state: TrajectoryState, rng: random.Random) -> Choice:
        island = list(self.islands.get(state.index, {}).values())
        if not island:
            return Choice()
        correct = [m for m in island if m.speedup is not None]
        if len(correct) >= 2 and rng.random() < CROSSOVER:
            first = select(correct, rng)
            second = select([m for m in correct if m is not first], rng)
            return Choice(parents=[first, second])
        parent = select(island, rng)
        return Choice(parents=[parent], feedback=feedback_for(parent.result, self.task))

    def after_turn(self, state: TrajectoryState) -> None:
        if self.config.trajectories > 1 and state.turns_done % MIGRATE_EVERY == 0:
            self.migrate(state.index)

    def migrate(self, source: int) -> None:
        """Copy island `source`'s best kernel to the next island (a ring), where it may be chosen as a parent."""
        island = list(self.islands.get(source, {}).values())
        if not island:
            return
        best = max(island, key=lambda m: (score(m), -m.candidate_id))
        target = (source + 1) % self.config.trajectories
        self.islands.setdefault(target, {}).setdefault(best.candidate_id, best)
