"""Where evaluator actors go: per node, never more than a node has, `--workers` spread over the nodes."""

from __future__ import annotations

from collections import Counter

from kernelwright.agent.evaluators.placement import NodeInfo, Placement, node_slots, plan_evaluators


def _node(name: str, cpus: float, gpus: int = 0) -> NodeInfo:
    return NodeInfo(node_id=name, address="10.0.0.1", cpus=cpus, gpus=gpus)


def _per_node(plan: list[Placement]) -> dict[str, int]:
    return dict(Counter(p.node_id for p in plan))


def test_cpu_nodes_get_one_evaluator_per_two_cpus_each() -> None:
    plan = plan_evaluators([_node("a", 1), _node("b", 8), _node("c", 3)], "cpu", None)
    assert _per_node(plan) == {"a": 1, "b": 4, "c": 1}
    assert all(p.num_cpus == 1 and p.num_gpus == 0 for p in plan)
    assert node_slots(0.5) == 1 and node_slots(16) == 8


def test_gpu_platform_gets_one_evaluator_per_gpu_on_gpu_nodes_only() -> None:
    nodes = [_node("cpu-only", 32), _node("g2", 16, gpus=2), _node("g8", 4, gpus=8)]
    plan = plan_evaluators(nodes, "cuda", None)
    assert _per_node(plan) == {"g2": 2, "g8": 8}
    assert all(p.num_gpus == 1 for p in plan)
    # Eight GPUs on four CPUs: each evaluator asks for half a CPU, so all eight fit.
    assert {p.num_cpus for p in plan if p.node_id == "g8"} == {0.5}


def test_gpu_platform_without_gpus_falls_back_to_cpu_slots() -> None:
    assert _per_node(plan_evaluators([_node("a", 4)], "triton", None)) == {"a": 2}


def test_workers_override_spreads_over_nodes_and_never_oversubscribes() -> None:
    plan = plan_evaluators([_node("a", 1), _node("b", 2)], "cpu", 5)
    assert _per_node(plan) == {"a": 3, "b": 2}
    for node_id, cpus in (("a", 1.0), ("b", 2.0)):
        assert sum(p.num_cpus for p in plan if p.node_id == node_id) <= cpus


def test_no_nodes_no_evaluators() -> None:
    assert plan_evaluators([], "cpu", None) == []
    assert plan_evaluators([], "cpu", 3) == []
