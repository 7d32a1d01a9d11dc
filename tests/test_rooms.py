"""The rooms import only what the design lets them, and no files import each other in a loop.

Read from the source as text (`ast`), every import counted wherever it stands: at the top, inside a function, or
under `TYPE_CHECKING`, since each one ties the two files together for whoever changes them. The rooms are the
folders at the top of the project, imported through the one namespace (`kernelwright.evaluator`, ...).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Room -> the rooms it may import (README's Layout; the doors, `kernelwright/`, may import every room).
MAY_IMPORT: dict[str, set[str]] = {
    "tasks": set(),
    "evaluator": {"tasks"},
    "db": {"tasks", "evaluator"},
    "agent": {"tasks", "evaluator", "db"},
    "rl": {"tasks", "evaluator", "db", "agent"},
}
DOORS = "kernelwright"
SKIP = ("tasks/suite/",)  # task and solution files: data in KernelBench's format, not project code


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([DOORS, *parts] if parts[0] in MAY_IMPORT else parts)


def _files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for room in (*MAY_IMPORT, DOORS):
        for path in sorted((ROOT / room).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if room == DOORS and len(parts) > 2 and parts[1] in MAY_IMPORT:
                continue  # through the links from kernelwright/ to the rooms: the same files
            if not path.relative_to(ROOT).as_posix().startswith(SKIP):
                files[_module_name(path)] = path
    return files


FILES = _files()


def _imports(module: str, path: Path) -> set[str]:
    """The project's modules this file imports (a name imported from a package is its submodule when there is one)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in FILES else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in FILES:
                target = target.rpartition(".")[0]
            if target and target != module:
                found.add(target)
    return found


GRAPH = {module: _imports(module, path) for module, path in FILES.items()}


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in MAY_IMPORT else DOORS


def test_the_graph_is_read() -> None:
    assert "kernelwright.evaluator.api" in FILES and "kernelwright.cli" in FILES
    assert "kernelwright.evaluator.result" in GRAPH["kernelwright.evaluator.api"]
    assert sum(len(targets) for targets in GRAPH.values()) > 500


@pytest.mark.parametrize("room", sorted(MAY_IMPORT))
def test_a_room_imports_only_the_rooms_it_may(room: str) -> None:
    wrong = sorted(f"{FILES[module].relative_to(ROOT)} imports {target}"
                   for module, targets in GRAPH.items() if _room(module) == room
                   for target in targets if _room(target) not in MAY_IMPORT[room] | {room})
    assert not wrong, "\n".join(wrong)


def test_no_files_import_each_other_in_a_loop() -> None:
    # Tarjan's strongly connected components, iteratively: any component of more than one file is a loop.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    loops: list[list[str]] = []
    for start in GRAPH:
        if start in index:
            continue
        work = [(start, iter(sorted(GRAPH[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(GRAPH[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    loops.append(sorted(component))
    assert not loops, "\n".join(" <-> ".join(loop) for loop in loops)
