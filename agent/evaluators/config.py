"""Where evaluators run (the user's choice), and the error when the cluster cannot run them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ClusterConfig(BaseModel):
    """Where evaluators run."""

    address: str | None = Field(default=None, description="an existing Ray cluster; None starts one locally")
    workers: int | None = Field(default=None, ge=1, description="evaluator actors in all (default: per node, one "
                                "per two CPUs, at least one; GPU platforms get one per GPU)")
    temp_dir: str | None = Field(default=None, description="Ray's session folder for a local start")


class ClusterError(RuntimeError):
    """The cluster cannot run evaluations (no node with room for an evaluator, every evaluator keeps dying)."""
