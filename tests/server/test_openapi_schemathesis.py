"""The OpenAPI schema checked against the running service by schemathesis: every `/v1` operation is called
with generated inputs (valid and invalid), and each answer must match the schema's status codes, content types
and bodies, and never be a server error."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from kernelwright.db import Store

API_EXAMPLES = 30


@pytest.fixture(scope="module")
def api_token(seeded_db_url: str) -> str:
    """A token with room for every generated request."""
    with Store(seeded_db_url) as store:
        return store.create_api_token("schemathesis", rate_per_minute=100_000)[1]


@pytest.fixture(scope="module")
def api_schema(live_server: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{live_server}/openapi.json").include(path_regex="^/v1/")


def _fuzz(operation: Any, headers: dict[str, str], excluded: list[Any]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=API_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def check(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=excluded)

    check()


def test_the_api_keeps_to_its_schema(api_schema: schemathesis.BaseSchema, api_token: str) -> None:
    # Driven through hypothesis directly: schemathesis's pytest plugin does not support pytest 9 yet.
    headers = {"Authorization": f"Bearer {api_token}"}
    checked = []
    for found in api_schema.get_all_operations():
        operation = found.ok()
        # Whether an operator file is valid is the evaluator's verdict (it must import and run), which no JSON
        # Schema can say: a schema-valid body may rightly get a 422.
        _fuzz(operation, headers, [positive_data_acceptance] if operation.path == "/v1/optimize" else [])
        checked.append(operation.label)
    assert len(checked) >= 9, checked


def test_the_schema_documents_every_endpoint(live_server: str) -> None:
    import httpx

    spec = httpx.get(f"{live_server}/openapi.json").json()
    assert {"/v1/optimize", "/v1/jobs/{job_id}", "/v1/leaderboard", "/v1/kernels/{kernel_id}", "/v1/tasks"} <= set(
        spec["paths"])
    assert not [p for p in spec["paths"] if not p.startswith("/v1/")], "pages stay out of the API schema"
    errors = spec["paths"]["/v1/optimize"]["post"]["responses"]
    assert {"202", "401", "413", "422", "429"} <= set(errors)
