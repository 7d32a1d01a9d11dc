"""`kernelwright tasks import` without probes (`--no-probe`): KernelBench and MultiKernelBench trees made here, named
sources, skipped files with reasons, levels and categories by rule, and data-file (npu-style) tasks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.importer import ImportFormat, Outcome, import_tasks, load_registry
from kernelwright.tasks.model import Category
from kernelwright.tasks.registry import TaskSource, all_tasks, resolve_task

TASK = '''import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x):
        return {expr}


batch_size = 16
dim = 64


def get_inputs():
    return [torch.randn(batch_size, dim)]


def get_init_inputs():
    return []
'''

NPU_TASK = '''import torch
import torch.nn as nn


class Model(nn.Module):
    def __init__(self):
        super().__init__()

    def forward(self, x, y):
        return x * y + 1.0
'''

KB = "kernelbench/KernelBench"


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
    _write(root / "KernelBench" / "level2" / "5_Conv2d_Sigmoid_Tanh.py", "torch.tanh(torch.sigmoid(x))")
    _write(root / "KernelBench" / "level3" / "1_MLP.py", "x * 2.0")
    _write(root / "KernelBench" / "level4" / "1_Llama.py")
    (root / "KernelBench" / "level1" / "99_Broken.py").write_text("class Model:\n    pass\n")
    _write(root / "scripts" / "helper.py")  # not in a level folder: not a task
    return root


@pytest.fixture
def multikernelbench(tmp_path: Path) -> Path:
    root = tmp_path / "MultiKernelBench" / "reference"
    _write(root / "activation" / "relu.py")
    _write(root / "reduce" / "sum_rows.py", "x.sum(dim=1)")
    _write(root / "fuse" / "gemm_relu.py", "torch.relu(x @ x.t())")
    _write(root / "custom_family" / "odd.py", "x - 1.0")
    return root.parent


def run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, KERNELWRIGHT_HOME=str(home), COLUMNS="200")
    return subprocess.run([sys.executable, "-m", "kernelwright.cli", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def _fake_git(root: Path, sha: str) -> None:
    """A checkout's `.git` as git writes it (HEAD on a branch, the branch in packed-refs)."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".git" / "packed-refs").write_text(f"# pack-refs with: peeled\n{sha} refs/heads/main\n")


def test_kernelbench_levels_skipped_files_and_refusals_named(home: Path, kernelbench: Path) -> None:
    report = import_tasks(kernelbench, ImportFormat.kernelbench)
    assert report.source.name == "KernelBench" and report.source.commit is None
    assert sorted(t.id for t in report.imported) == [
        f"{KB}/level1/19_ReLU", f"{KB}/level2/5_Conv2d_Sigmoid_Tanh", f"{KB}/level3/1_MLP"]
    assert {t.id: t.level for t in report.imported}[f"{KB}/level2/5_Conv2d_Sigmoid_Tanh"] == 2
    rows = {row.path: row for row in report.outcomes}
    assert rows["KernelBench/level1/99_Broken.py"].outcome is Outcome.failed_to_load
    assert "missing get_inputs" in rows["KernelBench/level1/99_Broken.py"].reason
    assert rows["KernelBench/level4/1_Llama.py"].outcome is Outcome.skipped
    assert "level4 is not a level Kernelwright runs" in rows["KernelBench/level4/1_Llama.py"].reason
    assert "not in a level1/level2/level3 folder" in rows["scripts/helper.py"].reason
    task = resolve_task(f"{KB}/level3/1_MLP")
    assert task.level == 3 and task.category is Category.arch and not task.held_out


def test_categories_by_name_without_probe(home: Path, kernelbench: Path) -> None:
    import_tasks(kernelbench, ImportFormat.kernelbench)
    tasks = {t.id: t for t in all_tasks(TaskSource.imported)}
    assert tasks[f"{KB}/level1/19_ReLU"].category is Category.activation
    assert tasks[f"{KB}/level2/5_Conv2d_Sigmoid_Tanh"].category is Category.fuse  # several families in a level 2


def test_two_commits_of_one_checkout_are_two_sources(home: Path, kernelbench: Path) -> None:
    _fake_git(kernelbench, "a" * 40)
    v0 = import_tasks(kernelbench, ImportFormat.kernelbench)
    assert v0.source.name == "KernelBench@aaaaaaaaaaaa" and v0.source.commit == "a" * 40
    _write(kernelbench / "KernelBench" / "level1" / "19_ReLU.py", "torch.relu(x) + 1.0")  # main changed the file
    _fake_git(kernelbench, "b" * 40)
    main = import_tasks(kernelbench, ImportFormat.kernelbench)
    assert main.source.name == "KernelBench@bbbbbbbbbbbb"
    registry = load_registry()
    assert len(registry.tasks) == 6
    assert set(registry.sources) == {"KernelBench@aaaaaaaaaaaa", "KernelBench@bbbbbbbbbbbb"}
    # Each id keeps the file as it was at its commit (a snapshot), not whatever the checkout holds now.
    old = resolve_task("kernelbench/KernelBench@aaaaaaaaaaaa/level1/19_ReLU")
    new = resolve_task("kernelbench/KernelBench@bbbbbbbbbbbb/level1/19_ReLU")
    assert "torch.relu(x) + 1.0" not in old.source and "torch.relu(x) + 1.0" in new.source


def test_reimport_updates_its_source_and_another_folder_never_overwrites(home: Path, kernelbench: Path,
                                                                         tmp_path: Path) -> None:
    import_tasks(kernelbench, ImportFormat.kernelbench)
    (kernelbench / "KernelBench" / "level3" / "1_MLP.py").unlink()
    import_tasks(kernelbench, ImportFormat.kernelbench, held_out=True)
    registry = load_registry()
    assert sorted(registry.tasks) == [f"{KB}/level1/19_ReLU", f"{KB}/level2/5_Conv2d_Sigmoid_Tanh"]
    assert all(e.held_out for e in registry.tasks.values())
    other = tmp_path / "elsewhere" / "KernelBench"
    shutil.copytree(kernelbench, other)
    with pytest.raises(TaskLoadError, match="another source never replaces it"):
        import_tasks(other, ImportFormat.kernelbench)
    import_tasks(other, ImportFormat.kernelbench, source="kb-copy")
    assert len(load_registry().tasks) == 4
    suite_ids = {t.id for t in all_tasks(TaskSource.suite)}
    assert not suite_ids & set(load_registry().tasks)


def test_multikernelbench_categories_and_levels(home: Path, kernelbench: Path, multikernelbench: Path) -> None:
    import_tasks(kernelbench, ImportFormat.kernelbench)
    import_tasks(multikernelbench, ImportFormat.multikernelbench, held_out=True)
    mkb = "multikernelbench/MultiKernelBench"
    tasks = {t.id: t for t in all_tasks(TaskSource.imported) if t.id.startswith(mkb)}
    assert tasks[f"{mkb}/activation/relu"].category is Category.activation
    assert tasks[f"{mkb}/reduce/sum_rows"].category is Category.reduce
    assert tasks[f"{mkb}/custom_family/odd"].category is Category.uncategorized  # no such folder, no name match
    assert tasks[f"{mkb}/fuse/gemm_relu"].level == 2 and tasks[f"{mkb}/reduce/sum_rows"].level == 1
    assert all(t.held_out for t in tasks.values())
    # Lineage: a KernelBench task of the same name gives its level (the rule alone would say 1 for activation).
    _write(multikernelbench / "reference" / "activation" / "conv2d_sigmoid_tanh.py", "torch.tanh(torch.sigmoid(x))")
    import_tasks(multikernelbench, ImportFormat.multikernelbench)
    assert resolve_task(f"{mkb}/activation/conv2d_sigmoid_tanh").level == 2


def test_npu_tasks_take_input_groups_from_their_data_file(home: Path, tmp_path: Path) -> None:
    root = tmp_path / "MultiKernelBench" / "npukernelbench"
    (root / "math").mkdir(parents=True)
    (root / "math" / "mul_add.py").write_text(NPU_TASK)
    groups = {"inputs": [[{"shape": [8, 16]}, {"shape": [8, 16]}], [{"shape": [3, 5]}, 2.0]]}
    (root / "math" / "mul_add.json").write_text(json.dumps(groups))
    (root / "math" / "broken.py").write_text(NPU_TASK)
    (root / "math" / "broken.json").write_text('{"inputs": [[{"shape": "big"}]]}')
    (root / "math" / "no_data.py").write_text(NPU_TASK)
    report = import_tasks(root.parent, ImportFormat.multikernelbench)
    rows = {row.path: row for row in report.outcomes}
    assert rows["npukernelbench/math/mul_add.py"].outcome is Outcome.imported
    assert rows["npukernelbench/math/broken.py"].outcome is Outcome.failed_to_load
    assert "its input groups come from this data file" in rows["npukernelbench/math/broken.py"].reason
    assert rows["npukernelbench/math/no_data.py"].outcome is Outcome.failed_to_load
    assert "no data file of input groups" in rows["npukernelbench/math/no_data.py"].reason
    task = resolve_task("multikernelbench/MultiKernelBench/math/mul_add")
    assert "def get_inputs" in task.source and "def get_input_groups" in task.source


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


def test_cli_import_no_probe_list_show(home: Path, kernelbench: Path, multikernelbench: Path) -> None:
    done = run_cli("tasks", "import", str(kernelbench), "--format", "kernelbench", "--no-probe", home=home)
    assert done.returncode == 0, done.stderr
    assert "imported 3 tasks as source KernelBench" in done.stdout and "L1 1, L2 1, L3 1" in done.stdout
    assert "failed_to_load" in done.stdout and "99_Broken" in done.stdout and "level4/1_Llama.py" in done.stdout
    done = run_cli("tasks", "import", str(multikernelbench), "--format", "multikernelbench", "--held-out",
                   "--no-probe", home=home)
    assert done.returncode == 0, done.stderr
    assert "activation 1" in done.stdout and "held out" in done.stdout
    listed = run_cli("tasks", "list", "--source", "imported", home=home)
    assert listed.returncode == 0, listed.stderr
    assert "7 tasks" in listed.stdout and f"{KB}/level2/5_Conv2d_Sigmoid_Tanh" in listed.stdout
    assert "multikernelbench/MultiKernelBench/activation/relu*" in listed.stdout and "4 held out" in listed.stdout
    bad = run_cli("tasks", "import", str(kernelbench / "missing"), "--no-probe", home=home)
    assert bad.returncode == 2 and "not a folder" in bad.stderr


def test_cli_list_at_80_columns_shows_every_tasks_category_and_level(home: Path, tmp_path: Path) -> None:
    root = tmp_path / "KernelBench"
    names = {"level1/19_ReLU.py": ("torch.relu(x)", "activation", "1"),
             "level2/58_ConvTranspose3d_LogSumExp_HardSwish_Subtract_Clamp_Max.py": ("x.max() - x", "fuse", "2"),
             "level2/13_ConvTranspose3d_Mean_Add_Softmax_Tanh_Scaling.py": ("torch.tanh(x)", "fuse", "2")}
    for rel, (expr, _, _) in names.items():
        _write(root / "KernelBench" / rel, expr)
    _fake_git(root, "c" * 40)  # the commit in every id makes them longer still
    assert run_cli("tasks", "import", str(root), "--no-probe", home=home).returncode == 0
    env = dict(os.environ, KERNELWRIGHT_HOME=str(home), COLUMNS="80")
    listed = subprocess.run([sys.executable, "-m", "kernelwright.cli", "tasks", "list", "--source", "imported"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert listed.returncode == 0, listed.stderr
    assert max(len(line) for line in listed.stdout.splitlines()) <= 80
    cells = [line.split() for line in listed.stdout.splitlines() if line.strip()]
    for rel, (_, category, level) in names.items():
        task_id = f"kernelbench/KernelBench@{'c' * 12}/{rel.removesuffix('.py')}"
        # The id may wrap onto a second line, but it is all there, and its first line holds the category and level.
        first = next(i for i, row in enumerate(cells) if len(row) == 3 and task_id.startswith(row[0]))
        assert cells[first][1:] == [category, level], cells[first]
        assert task_id in "".join(row[0] for row in cells[first:first + 3])


def test_cli_import_piped_prints_a_line_per_task(home: Path, kernelbench: Path) -> None:
    """Piped (a log, CI), the import says which task it has done as it goes, not only at the end."""
    done = run_cli("tasks", "import", str(kernelbench), "--no-probe", home=home)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("[")]
    total = len(lines)
    assert total >= 4 and lines[-1].startswith(f"[{total}/{total}] ")
    assert any(f"{KB}/level1/" in line and line.endswith(": imported") for line in lines), lines
    assert any("99_Broken" in line and ": failed_to_load (" in line for line in lines), lines


def test_cli_import_hpctranseval_prints_imported_and_unsupported(home: Path, tmp_path: Path) -> None:
    checkout = shutil.copytree(Path(__file__).parent / "hpctranseval_fixture", tmp_path / "HPCTransEval")
    done = run_cli("tasks", "import", str(checkout), "--format", "hpctranseval", "--no-probe", home=home)
    assert done.returncode == 0, done.stderr
    assert "imported 4 tasks as source HPCTransEval" in done.stdout and "unsupported 7" in done.stdout
    assert "no_reference" in done.stdout and "multiple_outputs" in done.stdout
    assert "shape_mismatch" in done.stdout and "hpctranseval/HPCTransEval/IndependentOperator/abs" in done.stdout
