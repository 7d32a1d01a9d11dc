"""`kernelwright tasks import` with probes in the jail: every task runs under its own memory and time limits, the
table names what became of each file, sizes are derived for oversized tasks, categories come from the dispatched
operators; and `eval --json` answers a refused task with the verdict object."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernelwright.tasks.importer import ImportFormat, Outcome, import_tasks, load_registry
from kernelwright.tasks.loader import task_at_size
from kernelwright.tasks.model import Category
from kernelwright.tasks.registry import resolve_task

HEADER = "import torch\nimport torch.nn as nn\n\n\n"
FOOTER = "\n\ndef get_init_inputs():\n    return []\n"


def _task(forward: str, inputs: str, constants: str = "", prelude: str = "") -> str:
    return (HEADER + prelude + "class Model(nn.Module):\n    def forward(self, *xs):\n        x = xs[0]\n"
            f"        return {forward}\n\n\n{constants}\n\ndef get_inputs():\n    return {inputs}\n" + FOOTER)


TREE = {
    "level1/19_ReLU.py": _task("torch.relu(x)", "[torch.randn(batch_size, dim)]", "batch_size = 16\ndim = 256"),
    # Nothing in the name says matmul: the category comes from the operators the probe recorded.
    "level1/3_Whatever.py": _task("torch.matmul(x, xs[1])", "[torch.randn(n, n), torch.randn(n, n)]", "n = 64"),
    "level1/7_Fails.py": _task("x @ x.new_ones(3, 3)", "[torch.randn(batch_size, dim)]", "batch_size = 4\ndim = 32"),
    # 2 GiB of input as written: more than the 1 GiB limit, so the import scales batch_size down until it fits.
    "level1/59_Huge.py": _task("x * 2.0 + 1.0", "[torch.randn(batch_size, dim)]", "batch_size = 64\ndim = 8388608"),
    # Needs a terabyte whatever its constants say: a named refusal, never an OOM of the machine.
    "level1/66_Hog.py": _task("x * 2.0", "[torch.randn(8, 8)]", prelude="HOG = torch.empty(2**38)\n\n\n"),
    "level2/9_Degenerate.py": _task("torch.relu(x) * 0.0", "[torch.randn(batch_size, dim)]",
                                    "batch_size = 16\ndim = 64"),
    # Every output is below the default atol of 1e-4 (a softmax over 65536 columns of uniform inputs), so it is a task
    # only at the tolerance its TASK_CONFIG asks for; the comparison mode it names is not ours, and the table says so.
    "level1/23_Softmax.py": _task("torch.softmax(x, dim=1)", "[torch.rand(batch_size, dim)]",
                                  "batch_size = 4\ndim = 65536", prelude="TASK_CONFIG = {'comparison_mode': "
                                  "'log_domain', 'atol': 1e-7, 'rtol': 1e-3}\n\n\n"),
    "level4/1_Llama.py": _task("x", "[torch.randn(2)]"),
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(folder))
    return folder


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    root = tmp_path / "KernelBench"
    for rel, text in TREE.items():
        path = root / "KernelBench" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KERNELWRIGHT_HOME=str(home), COLUMNS="250")
    return subprocess.run([sys.executable, "-m", "kernelwright.cli", *args], capture_output=True, text=True, env=env,
                          timeout=600)


def test_import_probes_every_task_and_names_each_outcome(home: Path, checkout: Path) -> None:
    from kernelwright.commands.tasks import _Checker

    seen: list[str] = []
    report = import_tasks(checkout, ImportFormat.kernelbench, check=_Checker(1024, 60.0, [], reprobe=False), workers=2,
                          progress=lambda done, total, row: seen.append(f"{done}/{total}"))
    assert seen[-1] == "7/7" and len(seen) == 7  # level4 is skipped before any probe
    rows = {row.path.removeprefix("KernelBench/"): row for row in report.outcomes}
    assert {p: r.outcome for p, r in rows.items()} == {
        "level1/19_ReLU.py": Outcome.imported, "level1/3_Whatever.py": Outcome.imported,
        "level1/7_Fails.py": Outcome.failed_to_load, "level1/59_Huge.py": Outcome.imported,
        "level1/66_Hog.py": Outcome.too_large, "level2/9_Degenerate.py": Outcome.degenerate,
        "level1/23_Softmax.py": Outcome.imported, "level4/1_Llama.py": Outcome.skipped}
    assert "comparison_mode 'log_domain' is not implemented" in rows["level1/23_Softmax.py"].note
    softmax = resolve_task("kernelbench/KernelBench/level1/23_Softmax")
    assert softmax.tolerance.atol == 1e-7 and softmax.tolerance_from == "TASK_CONFIG" and softmax.notes
    assert "running the reference failed" in rows["level1/7_Fails.py"].reason
    assert "needs more than its memory limit of 1024 MiB" in rows["level1/66_Hog.py"].reason
    assert "degenerate task: the reference output is near zero" in rows["level2/9_Degenerate.py"].reason
    # A refused task is placed too (level from its folder, category from its name): the table names every task's.
    assert rows["level2/9_Degenerate.py"].level == 2 and rows["level2/9_Degenerate.py"].category is not None
    assert rows["level1/3_Whatever.py"].category is Category.matmul
    assert rows["level1/19_ReLU.py"].category is Category.activation
    huge = load_registry().tasks["kernelbench/KernelBench/level1/59_Huge"]
    assert huge.checked and huge.derived_sizes["gpu"] == {"batch_size": 64, "dim": 8388608}
    cpu = huge.derived_sizes["cpu"]
    assert cpu["batch_size"] < 64 and cpu["batch_size"] * cpu["dim"] * 4 < 2**30
    task = resolve_task(huge.id)
    assert task.sizes == ["cpu", "gpu", "small"] and f"batch_size = {cpu['batch_size']}" in task.source
    assert "batch_size = 64\n" in task_at_size(task, "gpu").source  # the gpu size is the file as written
    assert rows["level1/59_Huge.py"].size.startswith("derived: batch_size 64->")
    # Run again (as after an import stopped half-way): every probe is read back, refusals too, and nothing changes.
    again = _Checker(1024, 60.0, [], reprobe=False)
    second = import_tasks(checkout, ImportFormat.kernelbench, check=again, workers=2)
    assert again.probes > 0 and again.reused == again.probes
    assert {r.path: (r.outcome, r.reason) for r in second.outcomes} == {r.path: (r.outcome, r.reason)
                                                                       for r in report.outcomes}
    # --reprobe runs the refusals again (and still reads back the tasks that passed).
    fresh = _Checker(1024, 60.0, [], reprobe=True)
    import_tasks(checkout, ImportFormat.kernelbench, check=fresh, workers=2)
    assert 0 < fresh.reused < fresh.probes


def test_cli_import_table_and_eval_json_of_a_refused_task(home: Path, checkout: Path, tmp_path: Path) -> None:
    done = run_cli("tasks", "import", str(checkout), "--memory-mb", "1024", "--workers", "1", home=home)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    for outcome, name in (("degenerate", "kernelbench/KernelBench/level2/9_Degenerate"),
                          ("too_large", "kernelbench/KernelBench/level1/66_Hog"),
                          ("failed_to_load", "kernelbench/KernelBench/level1/7_Fails"),
                          ("skipped", "KernelBench/level4/1_Llama.py"),
                          ("imported", "kernelbench/KernelBench/level1/3_Whatever")):
        assert any(line.split()[:2] == [outcome, name] for line in lines if line.strip()), done.stdout
    assert "imported 4 tasks as source KernelBench" in done.stdout
    assert "reason / note" in done.stdout and "log_domain" in done.stdout  # the note on 23_Softmax's row
    assert "degenerate 1, too large 1, failed to load 1, skipped 1" in done.stdout
    solution = tmp_path / "solution.py"
    solution.write_text("import torch\n\n\nclass ModelNew(torch.nn.Module):\n    def forward(self, x):\n"
                        "        return x * 2.0\n")
    hog = checkout / "KernelBench" / "level1" / "66_Hog.py"
    answer = run_cli("eval", str(hog), str(solution), "--json", "--no-store", "--allow-torch", home=home)
    assert answer.returncode == 2
    verdict = json.loads(answer.stdout)
    assert verdict["status"] == "refused" and verdict["reason"] == "out_of_memory", verdict
    assert "memory limit" in verdict["message"] and verdict["speedup"] is None and "harness_version" in verdict


LAYER_NORM = '''import torch
import torch.nn as nn


class Model(nn.Module):
    """KernelBench level1/40_LayerNorm as the file has it: 268 MB per tensor, a GPU size."""

    def __init__(self, normalized_shape: tuple):
        super().__init__()
        self.ln = nn.LayerNorm(normalized_shape=normalized_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(x)


batch_size = 16
features = 64
dim1 = 256
dim2 = 256


def get_inputs():
    x = torch.randn(batch_size, features, dim1, dim2)
    return [x]


def get_init_inputs():
    return [(features, dim1, dim2)]
'''

IDENTITY = '''import torch
import torch.nn as nn


class ModelNew(nn.Module):
    def __init__(self, normalized_shape: tuple):
        super().__init__()
        self.ln = nn.LayerNorm(normalized_shape=normalized_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.ln(x)
'''


def test_identity_layer_norm_is_correct_at_its_derived_cpu_size(home: Path, tmp_path: Path) -> None:
    from kernelwright.commands.tasks import _Checker
    from kernelwright.evaluator import EvalOptions, checked_task, evaluate
    from kernelwright.evaluator.result import Status

    root = tmp_path / "KernelBench"
    (root / "level1").mkdir(parents=True)
    (root / "level1" / "40_LayerNorm.py").write_text(LAYER_NORM)
    # 1 GiB per probe: the file as written does not fit (inputs and outputs of 268 MB on two seeds), so the
    # import scales it down; which size it settles on also depends on the measured eager time.
    report = import_tasks(root, ImportFormat.kernelbench, check=_Checker(1024, 120.0, [], reprobe=False))
    [entry] = report.imported
    assert entry.category is Category.normalization  # native_layer_norm, recorded in the probe
    assert entry.derived_sizes["gpu"] == {"batch_size": 16, "features": 64, "dim1": 256, "dim2": 256}
    assert entry.derived_sizes["cpu"] != entry.derived_sizes["gpu"], report.outcomes
    task = checked_task(resolve_task(entry.id))
    result = evaluate(task, IDENTITY, "cpu", EvalOptions(allow_torch=True))
    # An identity's interval always contains 1.0; on a loaded machine it can also be wide, which the judge calls
    # `unstable` (outputs correct, no speedup claimed). Either is the verdict asked for: judged, not timed out.
    assert result.status in (Status.correct, Status.unstable), result.message
    assert result.size == "cpu" and result.speedup_ci is not None and result.speedup_ci[0] <= result.speedup_ci[1]


NPU_TASK = '''import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, y):
        return torch.sigmoid(x) * y + 1.0
'''


def test_multikernelbench_probed_data_file_task_and_operator_category(home: Path, tmp_path: Path) -> None:
    from kernelwright.commands.tasks import _Checker

    root = tmp_path / "MultiKernelBench"
    (root / "npukernelbench" / "activation").mkdir(parents=True)
    (root / "npukernelbench" / "activation" / "sigmoid_mul.py").write_text(NPU_TASK)
    groups = [[{"shape": [64, 128]}, {"shape": [64, 128]}], [{"shape": [7, 3]}, {"shape": [7, 3]}]]
    (root / "npukernelbench" / "activation" / "sigmoid_mul.json").write_text(json.dumps(groups))
    (root / "reference" / "custom_family").mkdir(parents=True)
    (root / "reference" / "custom_family" / "thing.py").write_text(
        _task("torch.matmul(x, xs[1])", "[torch.randn(n, n), torch.randn(n, n)]", "n = 32"))
    report = import_tasks(root, ImportFormat.multikernelbench, check=_Checker(1024, 60.0, [], reprobe=False))
    rows = {row.path: row for row in report.outcomes}
    assert all(r.outcome is Outcome.imported for r in rows.values()), rows
    assert rows["reference/custom_family/thing.py"].category is Category.matmul  # from the probe's operators
    assert rows["npukernelbench/activation/sigmoid_mul.py"].level == 1
    from kernelwright.evaluator import checked_task

    task = checked_task(resolve_task("multikernelbench/MultiKernelBench/activation/sigmoid_mul"))
    assert task.input_groups == 2  # both groups of the data file, run in the jail
