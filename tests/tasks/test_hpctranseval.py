"""`tasks import --format hpctranseval` without probes: a checkout in HPCTransEval's layout (written for these tests,
in `hpctranseval_fixture/`: `benchmark/<split>.json` lists of CUDA-to-CPU operator pairs) imports the pairs whose
operator has a PyTorch reference, keeps each one's CUDA kernel for porting, and lists every other pair as
unsupported with a typed refusal."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from kernelwright.agent.starting import file_start
from kernelwright.tasks.hpctranseval import Unsupported, discover_pairs, task_source
from kernelwright.tasks.import_registry import Refusal
from kernelwright.tasks.importer import ImportFormat, Outcome, import_tasks
from kernelwright.tasks.module import exec_module_from_source
from kernelwright.tasks.registry import resolve_task, source_kernels

FIXTURE = Path(__file__).parent / "hpctranseval_fixture"


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(tmp_path / "home"))
    return Path(shutil.copytree(FIXTURE, tmp_path / "HPCTransEval"))


def test_expressible_pairs_import_with_their_kernels_and_the_rest_are_refused_by_kind(checkout: Path) -> None:
    report = import_tasks(checkout, ImportFormat.hpctranseval)
    ids = sorted(t.id for t in report.imported)
    base = "hpctranseval/HPCTransEval/IndependentOperator"
    assert ids == [f"{base}/{op}" for op in ("abs", "add", "flatten", "log")]
    refused = {row.path: row.refusal for row in report.outcomes if row.outcome is Outcome.unsupported}
    assert refused == {
        "benchmark/IndependentOperator.json#4 (argsort)": Refusal.no_reference,
        "benchmark/IndependentOperator.json#5 (sign)": Refusal.not_float,
        "benchmark/IndependentOperator.json#6 (exp)": Refusal.shape_mismatch,
        "benchmark/IndependentOperator.json#7 (sin)": Refusal.no_kernel,
        "benchmark/ComputationGraph.json#0 (topology_expansion)": Refusal.no_reference,
        "benchmark/ComputationGraph.json#1 (relu)": Refusal.malformed,
        "benchmark/ComputationGraph.json#2 (tanh)": Refusal.multiple_outputs,
    }
    assert all(row.reason.startswith(row.refusal.value) for row in report.refused if row.refusal)
    assert [row.path for row in report.skipped] == ["benchmark/notes.json"]
    assert {row.path for row in report.refused} == set(refused)

    # Each task's reference runs on inputs of the pair's shapes and gives the declared output shape.
    for task_id, shape in [("abs", (4, 8)), ("add", (2, 3, 5)), ("flatten", (3, 20)), ("log", (16,))]:
        task = resolve_task(f"{base}/{task_id}")
        module = exec_module_from_source(task.source, task_id)
        out = module.Model()(*module.get_inputs())
        assert out.shape == shape and out.dtype == torch.float32 and torch.isfinite(out).all(), task_id
        # The pair's CUDA kernel is kept beside the snapshot: a port starts from it, its platform read off its name.
        kernel = source_kernels(task)["cuda"]
        assert "__global__" in kernel.read_text() and kernel.name == f"{task_id}.cuda.cu"
        assert file_start(kernel, None).platform == "cuda"


def test_import_table_names_each_refusal(checkout: Path) -> None:
    from rich.console import Console

    from kernelwright.commands.tasks import _outcome_table

    console = Console(width=400, record=True)
    console.print(_outcome_table(import_tasks(checkout, ImportFormat.hpctranseval)))
    lines = console.export_text().splitlines()
    row = next(line for line in lines if "(argsort)" in line)
    assert row.split()[0] == "unsupported" and "no_reference: no PyTorch reference is known for 'argsort'" in row
    assert sum(line.split()[0] == "imported" for line in lines if line.strip()) == 4


def test_port_track_starts_from_an_imported_pairs_kernel_or_a_suite_example(checkout: Path) -> None:
    from kernelwright.agent.bench.porting import port_track

    import_tasks(checkout, ImportFormat.hpctranseval)
    pair = resolve_task("hpctranseval/HPCTransEval/IndependentOperator/abs")
    relu, gelu = resolve_task("activation/relu"), resolve_task("activation/gelu")  # gelu has no CUDA example
    track = port_track([pair, relu, gelu], "cuda")
    assert [t.id for t in track.tasks] == [pair.id, relu.id] and track.left_out == [gelu.id]
    assert "__global__" in track.starts[pair.id].source and track.starts[pair.id].platform == "cuda"
    assert track.starts[relu.id].file is not None and track.starts[relu.id].file.endswith("relu.cuda.py")


def _abs_record(**changes: object) -> dict[str, object]:
    record = json.loads((FIXTURE / "benchmark" / "IndependentOperator.json").read_text())[0]
    assert record["op_name"] == "abs"
    return {**record, **changes}


def test_a_hostile_record_is_refused_not_written(tmp_path: Path) -> None:
    # Floats and booleans compare equal to the integers they stand for ([4.0, True] == [4, 1]), so an output shape
    # is checked for what it is, not only compared; and the kernel text is bounded before a regex scans it.
    assert "OUT_SHAPE" in task_source("IndependentOperator", _abs_record())
    for changes in ({"output_shape": [[4.0, 8.0]]}, {"output_shape": [[4, True]]},
                    {"cuda_code": "__global__ void k(float* x" + " " * 2_000_000}):
        with pytest.raises(Unsupported) as refused:
            task_source("IndependentOperator", _abs_record(**changes))
        assert refused.value.refusal is Refusal.malformed, changes
    # Two split files whose cleaned names agree must not give their pairs one task id.
    for name in ("a-b.json", "a_b.json"):
        (tmp_path / name).write_text(json.dumps([_abs_record()]))
    found, _rows = discover_pairs(tmp_path)
    assert sorted(c.tail for c in found) == ["a_b/abs", "a_b/abs_2"]
