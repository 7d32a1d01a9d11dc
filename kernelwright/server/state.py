"""What every request handler of the service shares, reached through `Depends(service)`."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from fastapi import Request

from kernelwright.db import Store
from kernelwright.server.access import Access
from kernelwright.server.jobs import JobManager
from kernelwright.server.queries import TTLCache
from kernelwright.settings import ServeSettings

# Leaderboard and task lists are recomputed at most this often.
CACHE_TTL_S = 5.0
# Submitted operators checked at once (each check is a jailed runner of ~250 MB and a core for seconds); more
# submissions wait up to PROBE_WAIT_S for a turn, then get a 429.
MAX_CONCURRENT_PROBES = 2
PROBE_WAIT_S = 30.0


@dataclass
class ServiceState:
    """The store, the access rules, the job manager and the answer cache of one running service."""

    settings: ServeSettings
    store: Store
    access: Access
    jobs: JobManager
    cache: TTLCache
    probes: threading.BoundedSemaphore = field(
        default_factory=lambda: threading.BoundedSemaphore(MAX_CONCURRENT_PROBES))


def service(request: Request) -> ServiceState:
    """The running service's state (a FastAPI dependency)."""
    state: ServiceState = request.app.state.service
    return state
