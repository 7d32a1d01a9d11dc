"""`kernelwright tasks import`: fake KernelBench and MultiKernelBench checkouts, through the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tasks.errors import TaskLoadError
from tasks.importer import ImportFormat, import_tasks, load_registry
from tasks.model import Category
from tasks.registry import TaskSource, all_tasks, resolve_task

TASK = '''import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return {expr}


def get_inputs():
    return [torch.randn(16, 64)]


def get_init_inputs():
    return []
'''


def _write(path: Path, expr: str = "torch.relu(x)") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TASK.format(expr=expr))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "home"
    monkeypatch.setenv("KERNELWRIGHT_HOME", str(folder))
    return folder


@pytest.fixture
def kernelbench(tmp_path: Path) -> Path:
    root = tmp_path / "KernelBench"
    _write(root / "KernelBench" / "level1" / "19_ReLU.py")
    _write(root / "KernelBench" / "level2" / "5_Sigmoid_Tanh.py", "torch.tanh(torch.sigmoid(x))")
    _write(root / "KernelBench" / "level3" / "1_MLP.py", "x * 2.0")
    (root / "KernelBench" / "level1" / "99_Broken.py").write_text("def nothing():\n    pass\n")
    _write(root / "scripts" / "helper.py")  # not in a level folder: not a task
    return root


@pytest.fixture
def multikernelbench(tmp_path: Path) -> Path:
    root = tmp_path / "MultiKernelBench" / "reference"
    _write(root / "activation" / "relu.py")
    _write(root / "reduce" / "sum_rows.py", "x.sum(dim=1)")
    _write(root / "custom_family" / "odd.py", "x - 1.0")
    return root.parent


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KERNELWRIGHT_HOME=str(home), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "kernelwright.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_kernelbench_levels_from_folders_and_broken_files_skipped(home: Path, kernelbench: Path) -> None:
    report = import_tasks(kernelbench, ImportFormat.kernelbench)
    assert sorted(t.id for t in report.imported) == [
        "kernelbench/level1/19_ReLU", "kernelbench/level2/5_Sigmoid_Tanh", "kernelbench/level3/1_MLP"]
    assert {t.id: t.level for t in report.imported}["kernelbench/level2/5_Sigmoid_Tanh"] == 2
    assert [Path(s.path).name for s in report.skipped] == ["99_Broken.py"]
    assert "missing Model" in report.skipped[0].reason
    task = resolve_task("kernelbench/level3/1_MLP")
    assert task.level == 3 and task.id == "kernelbench/level3/1_MLP" and not task.held_out


def test_multikernelbench_categories_from_folders(home: Path, multikernelbench: Path) -> None:
    import_tasks(multikernelbench, ImportFormat.multikernelbench, held_out=True)
    tasks = {t.id: t for t in all_tasks(TaskSource.imported)}
    assert tasks["multikernelbench/activation/relu"].category is Category.activation
    assert tasks["multikernelbench/reduce/sum_rows"].category is Category.reduce
    assert tasks["multikernelbench/custom_family/odd"].category is Category.uncategorized
    assert all(t.held_out for t in tasks.values())
    assert [t.id for t in all_tasks(TaskSource.imported, category="reduce")] == ["multikernelbench/reduce/sum_rows"]


def test_reimport_updates_in_place_and_suite_stays_separate(home: Path, kernelbench: Path) -> None:
    import_tasks(kernelbench, ImportFormat.kernelbench)
    import_tasks(kernelbench, ImportFormat.kernelbench, held_out=True)
    registry = load_registry()
    assert len(registry.tasks) == 3 and all(e.held_out for e in registry.tasks.values())
    suite_ids = {t.id for t in all_tasks(TaskSource.suite)}
    assert not suite_ids & set(registry.tasks)
    assert len(all_tasks(TaskSource.all)) == len(suite_ids) + 3


def test_empty_or_missing_folder_is_an_error(home: Path, tmp_path: Path) -> None:
    with pytest.raises(TaskLoadError, match="not a folder"):
        import_tasks(tmp_path / "nope", ImportFormat.kernelbench)
    (tmp_path / "empty").mkdir()
    with pytest.raises(TaskLoadError, match="no kernelbench task files"):
        import_tasks(tmp_path / "empty", ImportFormat.kernelbench)
    assert not (home / "imported_tasks.json").exists()


def test_unknown_imported_id_says_where_to_look(home: Path) -> None:
    with pytest.raises(TaskLoadError, match="imported id"):
        resolve_task("kernelbench/level1/nope")


def test_cli_import_list_show(home: Path, kernelbench: Path, multikernelbench: Path) -> None:
    done = run_cli("tasks", "import", str(kernelbench), "--format", "kernelbench", home=home)
    assert done.returncode == 0, done.stderr
    assert "imported 3 tasks" in done.stdout and "L1 1, L2 1, L3 1" in done.stdout
    assert "99_Broken.py" in done.stderr
    done = run_cli("tasks", "import", str(multikernelbench), "--format", "multikernelbench", "--held-out", home=home)
    assert done.returncode == 0, done.stderr
    assert "activation 1" in done.stdout and "held out" in done.stdout
    listed = run_cli("tasks", "list", "--source", "imported", home=home)
    assert listed.returncode == 0, listed.stderr
    assert "6 tasks" in listed.stdout and "kernelbench/level2/5_Sigmoid_Tanh" in listed.stdout
    assert "multikernelbench/activation/relu*" in listed.stdout and "3 held out" in listed.stdout
    shown = run_cli("tasks", "show", "kernelbench/level1/19_ReLU", home=home)
    assert shown.returncode == 0, shown.stderr
    assert "torch.relu(x)" in shown.stdout
    bad = run_cli("tasks", "import", str(kernelbench / "missing"), home=home)
    assert bad.returncode == 2 and "not a folder" in bad.stderr
