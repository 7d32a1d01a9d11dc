"""A `quiet` test runs alone under pytest-xdist (tests/quiet_machine.py): a small suite of its own, two workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SUITE = '''
import json, os, time
import pytest

def _record(name, seconds):
    start = time.monotonic()
    time.sleep(seconds)
    with open(os.environ["SPANS"], "a") as f:
        f.write(json.dumps([name, start, time.monotonic()]) + "\\n")

@pytest.mark.quiet
def test_measures_a_speed():
    _record("quiet", 1.0)

@pytest.mark.parametrize("i", range(6))
def test_ordinary(i):
    _record(f"ordinary{i}", 0.6)
'''


def test_no_test_runs_beside_a_quiet_one(tmp_path: Path) -> None:
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "conftest.py").write_text("from quiet_machine import pytest_runtest_protocol  # noqa: F401\n")
    (suite / "test_mixed.py").write_text(SUITE)
    (suite / "pytest.ini").write_text("[pytest]\nmarkers =\n    quiet: runs alone\n")
    spans = tmp_path / "spans.jsonl"
    env = dict(os.environ, SPANS=str(spans), KERNELWRIGHT_TEST_LOCK_DIR=str(tmp_path),
               PYTHONPATH=str(Path(__file__).parent))
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:randomly", "-p",
                           "no:cacheprovider", str(suite)], capture_output=True, text=True, env=env, cwd=suite,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    recorded = [json.loads(line) for line in spans.read_text().splitlines()]
    (quiet,) = [(start, end) for name, start, end in recorded if name == "quiet"]
    ordinary = [(start, end) for name, start, end in recorded if name != "quiet"]
    assert len(ordinary) == 6
    # (Collected first, the quiet test starts at the same moment as an ordinary one on the other worker.)
    # The ordinary tests do run two at a time (the locks do not serialize everything)...
    assert any(a[0] < b[1] and b[0] < a[1] for i, a in enumerate(ordinary) for b in ordinary[i + 1:])
    # ...but none beside the quiet one.
    assert not [span for span in ordinary if span[0] < quiet[1] and quiet[0] < span[1]], (quiet, ordinary)
