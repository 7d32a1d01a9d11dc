"""What every request handler of the service shares, reached through `Depends(service)`."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from db import Store
from kernelwright.server.access import Access
from kernelwright.server.jobs import JobManager
from kernelwright.server.queries import TTLCache
from kernelwright.settings import ServeSettings

# Leaderboard and task lists are recomputed at most this often.
CACHE_TTL_S = 5.0


@dataclass
class ServiceState:
    """The store, the access rules, the job manager and the answer cache of one running service."""

    settings: ServeSettings
    store: Store
    access: Access
    jobs: JobManager
    cache: TTLCache


def service(request: Request) -> ServiceState:
    """The running service's state (a FastAPI dependency)."""
    state: ServiceState = request.app.state.service
    return state
