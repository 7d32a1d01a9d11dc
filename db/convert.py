"""Between ORM rows and the store's records: one generic conversion instead of a converter per table.

A record (`db.rows`) takes every field it shares by name with its ORM model, timestamps as UTC; a new column
then needs only its model attribute and its record field. The few fields that are not a plain copy (an
evaluation's rebuilt `EvalResult`, a baseline's interval tuples) are computed by the helpers below.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernelwright.db.models import BaselineTimingModel, EvaluationModel
from kernelwright.db.rows import BaselineRow, EvaluationRow
from kernelwright.evaluator.result import EvalResult

_T = TypeVar("_T")
_R = TypeVar("_R")

# Fields of `EvalResult` that no column holds under the same name (the interval is two columns).
_RESULT_COMPUTED = {"speedup_ci", "candidate_hash"}


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes (the store writes UTC); PostgreSQL aware ones in its zone."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _plain(value: Any) -> Any:
    return utc(value) if isinstance(value, datetime) else value


def to_row(model: object, row_cls: type[_R], **computed: Any) -> _R:
    """The record `row_cls` of an ORM object: each record field copied from the attribute of the same name
    (datetimes made UTC-aware), except those given in `computed`."""
    if not dataclasses.is_dataclass(row_cls):
        raise TypeError(f"{row_cls.__name__} is not a record dataclass")
    values = {f.name: computed[f.name] if f.name in computed else _plain(getattr(model, f.name))
              for f in dataclasses.fields(row_cls)}
    return row_cls(**values)


def json_safe(value: Any) -> Any:
    """Replace NaN/inf (which PostgreSQL's JSON rejects) by the strings pydantic parses back to floats."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def insert_unique(session: Session, obj: _T, find_existing: Callable[[], _T | None]) -> _T:
    """Insert `obj`; if a concurrent writer inserted the same unique key first, return that row instead."""
    try:
        # A savepoint, so a unique-key collision does not abort the caller's whole transaction.
        with session.begin_nested():
            session.add(obj)
        return obj
    except IntegrityError:
        existing = find_existing()
        if existing is None:
            raise
        return existing


def evaluation_columns(result: EvalResult) -> dict[str, Any]:
    """The evaluation columns that hold `result`'s fields (nested models as JSON, the interval as lo/hi)."""
    columns = EvaluationModel.__table__.columns.keys()
    values: dict[str, Any] = {}
    for name in EvalResult.model_fields:
        if name in columns and name not in _RESULT_COMPUTED:
            value = getattr(result, name)
            values[name] = json_safe(value.model_dump()) if hasattr(value, "model_dump") else value
    lo, hi = result.speedup_ci if result.speedup_ci is not None else (None, None)
    values.update(speedup_lo=lo, speedup_hi=hi)
    return values


def eval_result(m: EvaluationModel, candidate_hash: str) -> EvalResult:
    """Rebuild the evaluator's `EvalResult` from a stored evaluation row."""
    columns = EvaluationModel.__table__.columns.keys()
    data = {name: getattr(m, name) for name in EvalResult.model_fields
            if name in columns and name not in _RESULT_COMPUTED}
    speedup_ci = None
    if m.speedup_lo is not None and m.speedup_hi is not None:
        speedup_ci = (m.speedup_lo, m.speedup_hi)
    return EvalResult.model_validate({**data, "speedup_ci": speedup_ci, "candidate_hash": candidate_hash})


def evaluation_row(m: EvaluationModel, candidate_hash: str) -> EvaluationRow:
    """The record of a stored evaluation, with its rebuilt `EvalResult`."""
    return to_row(m, EvaluationRow, result=eval_result(m, candidate_hash), flags=dict(m.flags or {}))


def baseline_row(m: BaselineTimingModel) -> BaselineRow:
    """The record of a baseline timing: its interval and compile ratio as tuples."""
    ci = None if m.ci is None else (float(m.ci[0]), float(m.ci[1]))
    vs_eager = None if m.vs_eager is None else (m.vs_eager, m.vs_eager_lo or m.vs_eager, m.vs_eager_hi or m.vs_eager)
    return to_row(m, BaselineRow, ci=ci, vs_eager=vs_eager)
