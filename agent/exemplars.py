"""Contrastive exemplars: earlier candidates of a task, sampled from distinct speedup buckets.

CUDA-L1's scheme: group scored candidates into speedup buckets, pick buckets with probability rising with
their score (a softmax over the bucket's mean log-speedup), take one candidate from each. Showing a slower and a
faster kernel side by side, and asking why one wins, is what lets the model improve on both.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from pydantic import BaseModel

from kernelwright.db import Store
from kernelwright.db.provenance import VerdictKey
from kernelwright.evaluator.request import EvalOptions

# Bucket edges on speedup: below 0.9x, around 1x, then wider bands as kernels get faster.
BUCKET_EDGES = (0.9, 1.1, 1.5, 2.0, 3.0, 5.0, 10.0)


class Exemplar(BaseModel):
    """One earlier candidate as the prompt shows it."""

    source: str
    speedup: float
    ci_low: float
    ci_high: float
    bucket: int


def speedup_bucket(speedup: float) -> int:
    """The bucket index of a speedup (0 = slowest band)."""
    return sum(speedup >= edge for edge in BUCKET_EDGES)


def sample_exemplars(scored: Sequence[Exemplar], rng: random.Random, k: int = 2,
                     temperature: float = 0.5) -> list[Exemplar]:
    """Up to `k` exemplars from distinct buckets, slowest first.

    Each bucket's weight is exp(mean log-speedup / temperature), so faster buckets are likelier but slower ones
    still appear (the contrast needs both). Within a bucket the candidate is drawn uniformly.
    """
    buckets: dict[int, list[Exemplar]] = {}
    for ex in scored:
        buckets.setdefault(ex.bucket, []).append(ex)
    chosen: list[Exemplar] = []
    pool = sorted(buckets)
    while pool and len(chosen) < k:
        scores = [sum(math.log(max(e.speedup, 1e-6)) for e in buckets[b]) / len(buckets[b]) for b in pool]
        top = max(scores)
        weights = [math.exp((s - top) / temperature) for s in scores]
        bucket = rng.choices(pool, weights=weights)[0]
        pool.remove(bucket)
        chosen.append(rng.choice(buckets[bucket]))
    return sorted(chosen, key=lambda e: e.speedup)


def exemplar_pool(store: Store, task_hash: str, platform: str, options: EvalOptions,
                  run_id: str | None = None) -> list[Exemplar]:
    """Every correct, timed candidate of this task version in the store whose verdict was made as one with
    `options` would be now (harness, jail, tolerance, allow_torch), as exemplars; only those of run `run_id` when
    given."""
    scored = store.scored_candidates(task_hash, platform, VerdictKey.of_options(options), options.allow_torch,
                                     run_id=run_id)
    return [Exemplar(source=c.source, speedup=r.speedup or 0.0, ci_low=(r.speedup_ci or (0.0, 0.0))[0],
                     ci_high=(r.speedup_ci or (0.0, 0.0))[1], bucket=speedup_bucket(r.speedup or 0.0))
            for c, r in scored]
