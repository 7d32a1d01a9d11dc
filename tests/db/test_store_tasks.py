"""Tasks, hardware and candidates in the store: upserts, held-out marks, dedupe by normalized hash."""

from __future__ import annotations

import pytest
from store_data import KERNEL, KERNEL_OTHER, KERNEL_REFORMATTED, TASK_SOURCE, make_task

from kernelwright.db import NotFoundError, Store
from kernelwright.evaluator.hashing import normalized_hash


def test_upsert_task_updates_source_and_keeps_held_out(store: Store) -> None:
    assert store.get_task("activation/relu") is None
    task = make_task()
    store.upsert_task(task)
    row = store.get_task(task.id)
    assert row is not None
    assert (row.name, row.category, row.level, row.source_hash, row.source) == (
        "relu",
        "activation",
        1,
        task.source_hash,
        TASK_SOURCE,
    )
    assert row.tolerance == {"atol": 1e-5, "rtol": 1e-3, "max_relative_l2": 1e-2}
    assert row.held_out is False
    assert row.created_at.tzinfo is not None

    store.set_held_out(task.id, True)
    changed = make_task(source=TASK_SOURCE + "\n# v2\n")
    store.upsert_task(changed)
    row2 = store.get_task(task.id)
    assert row2 is not None
    assert row2.source_hash == changed.source_hash != task.source_hash
    assert row2.held_out is True
    assert [t.id for t in store.list_tasks(held_out=True)] == [task.id]
    assert store.list_tasks(held_out=False) == []
    store.set_held_out(task.id, False)
    assert store.get_task(task.id).held_out is False  # type: ignore[union-attr]


def test_set_held_out_unknown_task(store: Store) -> None:
    with pytest.raises(NotFoundError, match="upsert_task"):
        store.set_held_out("nope/nope", True)


def test_upsert_hardware_by_fingerprint(store: Store) -> None:
    details = {"cpu_name": "AMD EPYC", "cores": 2, "peak_gbps": float("inf")}
    first = store.upsert_hardware("fp-1", "cpu", "2-core EPYC", details)
    again = store.upsert_hardware("fp-1", "cpu", "2-core EPYC, new kernel", {**details, "cores": 4})
    other = store.upsert_hardware("fp-2", "cuda", "H100", {}, gpu_name="NVIDIA H100")
    assert first == again != other
    row = store.get_hardware(first)
    assert row is not None
    assert (row.description, row.cpu_name, row.gpu_name) == ("2-core EPYC, new kernel", "AMD EPYC", None)
    assert row.details == {"cpu_name": "AMD EPYC", "cores": 4, "peak_gbps": "Infinity"}
    assert store.get_hardware(other).gpu_name == "NVIDIA H100"  # type: ignore[union-attr]
    assert store.get_hardware(12345) is None


# --- candidates --------------------------------------------------------------------------------------


def test_candidate_dedupe_by_normalized_hash(store: Store) -> None:
    task = make_task()
    store.upsert_task(task)
    first = store.add_candidate(task.id, KERNEL, "cpu")
    assert store.add_candidate(task.id, KERNEL_REFORMATTED, "cpu") == first
    assert store.add_candidate(task.id, KERNEL, "cpu", parent_id=first) == first
    child = store.add_candidate(task.id, KERNEL_OTHER, "cpu", parent_id=first)
    other_platform = store.add_candidate(task.id, KERNEL, "cuda")
    assert len({first, child, other_platform}) == 3

    row = store.get_candidate(first)
    assert row is not None
    # The first submission's text and lineage are kept.
    assert (row.source, row.parent_id, row.normalized_hash) == (KERNEL, None, normalized_hash(KERNEL))
    assert store.get_candidate(child).parent_id == first  # type: ignore[union-attr]
    assert store.find_candidate(task.id, KERNEL_REFORMATTED, "cpu").id == first  # type: ignore[union-attr]
    assert store.find_candidate(task.id, KERNEL, "triton") is None
    assert [c.id for c in store.candidates_for_task(task.id, "cpu")] == [first, child]
    assert len(store.candidates_for_task(task.id)) == 3


def test_candidate_needs_a_stored_task(store: Store) -> None:
    with pytest.raises(NotFoundError, match="upsert_task"):
        store.add_candidate("missing/task", KERNEL, "cpu")


# --- evaluations -------------------------------------------------------------------------------------
