"""`kernelwright leaderboard` follows the terminal's width (`COLUMNS`): more columns the wider it is, all of them
(names whole) when piped with no `COLUMNS`; never a line wider than the width it was given."""

from __future__ import annotations

from typing import TYPE_CHECKING

from typer.testing import CliRunner

from kernelwright.cli import app
from kernelwright.views.leaderboard import COLUMNS, TABLE_COLUMNS

if TYPE_CHECKING:
    from conftest import Seeded


def _board(url: str, columns: int | None) -> list[str]:
    result = CliRunner().invoke(app, ["leaderboard", "--db-url", url],
                                env={"COLUMNS": None if columns is None else str(columns)})
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def _headers(lines: list[str]) -> str:
    return next(line for line in lines if line.lstrip().startswith("#"))


def test_leaderboard_follows_columns(seeded: Seeded) -> None:
    narrow, wide = _board(seeded.url, 80), _board(seeded.url, 200)
    assert max(map(len, narrow)) <= 80 and max(map(len, wide)) <= 200
    assert "fast_2" not in _headers(narrow)
    for name in ("fast_2", "vs compile", "pass@1", "provider", "platform"):
        assert name in _headers(wide), _headers(wide)
    piped = _board(seeded.url, None)
    for name in COLUMNS:
        assert TABLE_COLUMNS.get(name, name) in _headers(piped), name
    assert "zeta-coder" in "\n".join(piped)
