"""Evaluator actors on Ray: where they go, how a local Ray starts, the actor, and the pool that calls them.

- `placement`: which actors the cluster's live nodes should hold (one per GPU, or one per two CPUs per node).
- `local_ray`: connecting to Ray, or starting it locally on loopback with token authentication.
- `actor`: the Ray actor that runs `evaluator.evaluate` and says where it runs.
- `pool`: `EvaluatorPool`, the driver's pool of actors: deadlines, retries on lost nodes, top-ups.

The driver alone talks to the store: actors return `EvalResult`s and never open a database.
"""

from kernelwright.agent.evaluators.actor import Evaluator, EvaluatorSite
from kernelwright.agent.evaluators.config import ClusterConfig, ClusterError
from kernelwright.agent.evaluators.pool import EvaluatorPool, Judged, Measured

__all__ = ["ClusterConfig", "ClusterError", "Evaluator", "EvaluatorPool", "EvaluatorSite", "Judged", "Measured"]
