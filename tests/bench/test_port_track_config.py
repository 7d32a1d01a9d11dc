"""A port track's stored bench config names its source platform again when written out to rerun it
(`runs show --config`); a run from scratch's does not."""

from __future__ import annotations

from kernelwright.agent.bench.config import BenchConfig, BenchTask
from kernelwright.config.commands import BenchCommand, bench_file


def _stored(port_from: str | None) -> dict[str, object]:
    config = BenchConfig(selection="tasks activation/relu, split all", patterns=["activation/relu"],
                         tasks=[BenchTask(id="activation/relu", origin="activation/relu", source_hash="0" * 64)],
                         platform="cpu", port_from=port_from)
    return config.model_dump(mode="json")


def test_rerun_file_keeps_the_port_track() -> None:
    ported = BenchCommand.model_validate(bench_file(_stored("cuda")))
    assert ported.port_from == "cuda" and ported.platform == "cpu" and ported.tasks == ["activation/relu"]
    assert "port_from" not in bench_file(_stored(None))
