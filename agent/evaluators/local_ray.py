"""Connecting to Ray: an existing cluster by address, or a local start that only this process can reach.

A local start binds every Ray port to 127.0.0.1 and turns on Ray's token authentication with a secret that lives
only in this process's environment (never written to ~/.ray), unless the user chose `RAY_AUTH_MODE` themselves.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ray

from kernelwright.agent.evaluators.config import ClusterError
from kernelwright.agent.evaluators.placement import live_nodes

# Small object store: only sources and results travel through it.
OBJECT_STORE_BYTES = 256 * 1024 * 1024
LOOPBACK = "127.0.0.1"
_AUTH_ENV = ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN", "RAY_AUTH_TOKEN_PATH")


def init_ray(address: str | None, temp_dir: str | None) -> None:
    """Connect to the Ray cluster at `address`, or start a local one (on loopback, with token authentication;
    its session folder in `temp_dir` when given); raises `ClusterError` if a local start left loopback."""
    kwargs: dict[str, Any] = dict(include_dashboard=False, log_to_driver=False, configure_logging=False,
                                  runtime_env={"env_vars": _forwarded_env()})
    if address is not None:
        ray.init(address=address, **kwargs)
        return
    kwargs.update(object_store_memory=OBJECT_STORE_BYTES, _node_ip_address=LOOPBACK)
    if temp_dir:
        kwargs["_temp_dir"] = temp_dir
    with _local_start():
        ray.init(**kwargs)
    _check_loopback()


def _forwarded_env() -> dict[str, str]:
    # Workers of a locally started Ray see these; API keys stay in the driver.
    return {k: v for k, v in os.environ.items() if k.startswith("KERNELWRIGHT_") and k != "KERNELWRIGHT_DB_URL"}


class _QuietTokenNotice(logging.Filter):
    """Drops Ray's notice that it enabled token authentication: here that is our choice, documented."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Token authentication is enabled" not in record.getMessage()


@contextmanager
def _local_start() -> Iterator[None]:
    """Around a local `ray.init`: every Ray port on 127.0.0.1 and, unless the user set Ray's auth variables,
    token authentication with a secret kept in this process's environment (inherited by the Ray processes it
    starts, never written to disk)."""
    if not any(os.environ.get(name) for name in _AUTH_ENV):
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)
    # Ray resolves a 127.0.0.1 node address to the machine's public one on Linux; the switch it uses on macOS and
    # Windows keeps loopback, and with it the GCS, raylet and worker servers listen on 127.0.0.1 only.
    constants = ray._private.ray_constants
    logger = logging.getLogger("ray._private.authentication.authentication_token_setup")
    quiet = _QuietTokenNotice()
    previous = constants.ENABLE_RAY_CLUSTER
    constants.ENABLE_RAY_CLUSTER = False
    logger.addFilter(quiet)
    try:
        yield
    finally:
        constants.ENABLE_RAY_CLUSTER = previous
        logger.removeFilter(quiet)


def _check_loopback() -> None:
    addresses = {n.address for n in live_nodes()}
    if addresses != {LOOPBACK}:
        ray.shutdown()
        raise ClusterError(f"the local Ray started on {', '.join(sorted(addresses))}, not {LOOPBACK} only; "
                           "this Ray version does not keep a local start on loopback (see docs/deploy.md)")
