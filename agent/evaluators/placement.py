"""Evaluator placement: which actors the cluster's live nodes should hold.

Placement follows the nodes, not the driver: on GPU platforms one actor per GPU (`num_gpus=1`) on every GPU node;
otherwise, on every node, one actor per two of its CPUs (the evaluator's timing lock is per machine, so more
actors would only queue for it while timing uses half the cores). Each actor is pinned to its node with
node-affinity scheduling, so every node is used and none gets more than it has. `--workers N` overrides the count
(spread over the nodes in turn). The plan is made from what the nodes have, not what is free.
"""

from __future__ import annotations

import ray
from pydantic import BaseModel

from kernelwright.evaluator.platforms import platform_class


class NodeInfo(BaseModel):
    """A live Ray node as the pool sees it."""

    node_id: str
    address: str
    cpus: float
    gpus: int


class Placement(BaseModel):
    """One evaluator actor to create: its node and what it asks of it."""

    node_id: str
    num_cpus: float
    num_gpus: int = 0


def node_slots(cpus: float) -> int:
    """Evaluator actors for a CPU node with `cpus` CPUs: one per two (timing uses half), at least one."""
    return max(1, int(cpus) // 2)


def live_nodes() -> list[NodeInfo]:
    """The cluster's live nodes with CPUs (a head started with `--num-cpus 0` runs no evaluator)."""
    nodes = []
    for node in ray.nodes():
        resources = node.get("Resources", {})
        if node.get("Alive") and resources.get("CPU", 0) > 0:
            nodes.append(NodeInfo(node_id=node["NodeID"], address=node.get("NodeManagerAddress", ""),
                                  cpus=float(resources["CPU"]), gpus=int(resources.get("GPU", 0))))
    return sorted(nodes, key=lambda n: n.node_id)


def plan_evaluators(nodes: list[NodeInfo], platform: str, workers: int | None) -> list[Placement]:
    """The evaluator actors `nodes` should hold: one per GPU on GPU nodes for a GPU platform (when the cluster
    has GPUs), else per node `node_slots`; `workers` sets the total instead, spread over the nodes in turn. No
    node is asked for more CPUs or GPUs than it has."""
    gpu_nodes = [n for n in nodes if n.gpus > 0]
    if platform_class(platform).needs_gpu and gpu_nodes:
        plan = [Placement(node_id=n.node_id, num_cpus=min(1.0, n.cpus / n.gpus), num_gpus=1)
                for n in gpu_nodes for _ in range(n.gpus)]
        return plan[:workers] if workers else plan
    if not nodes:
        return []
    counts = {n.node_id: node_slots(n.cpus) for n in nodes}
    if workers is not None:
        counts = dict.fromkeys(counts, 0)
        for i in range(workers):
            counts[nodes[i % len(nodes)].node_id] += 1
    cpus = {n.node_id: n.cpus for n in nodes}
    # An override beyond a node's CPUs shares them (fractional CPUs) rather than leaving actors unplaceable.
    return [Placement(node_id=node_id, num_cpus=min(1.0, cpus[node_id] / count))
            for node_id, count in counts.items() for _ in range(count)]
