"""The judge's answer to a runner's build request: screen it, compile it in a build jail, record what happened.

What the judge records here is its own knowledge, not the runner's word: how many kernels really built (the
compile check's evidence without a GPU), the seconds spent, and any request it refused as unsafe (a refusal
stands even if the candidate's Python swallows the error and carries on).

Each build runs in a jail with no writable host folder: it compiles on the jail's capped tmpfs and the module
comes back through a pipe, size-capped (`build/job.py`); its messages are read into a bounded log. After a new
module lands in the cache, the cache is brought back under its size limit (`build/cache.py`).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from kernelwright.evaluator.build.cache import cache_limit_bytes, evict
from kernelwright.evaluator.build.errors import BuildError, UnsafeSourceError
from kernelwright.evaluator.jail.bwrap import JailSpec
from kernelwright.evaluator.jail.capture import BoundedLog, Sink
from kernelwright.evaluator.jail.limits import Limits
from kernelwright.evaluator.jail.process import run
from kernelwright.evaluator.judge.runner_process import ProtocolBreach
from kernelwright.evaluator.platforms.base import KernelBuilder
from kernelwright.evaluator.result import Reason, Status
from kernelwright.evaluator.runner.protocol import BuildRequest, Built, Failure

# A runner may ask for this many builds per evaluation: enough for any real kernel, too few to mine the compiler.
MAX_BUILDS = 16
COMPILE_TIMEOUT_S = 600.0
# A failure's log as it goes into the verdict (the builder trimmed it to a few dozen short lines already).
MAX_LOG_CHARS = 20_000


@dataclass
class BuildLog:
    """What one evaluation's builds did, as the judge saw it."""

    built: int = 0
    cache_hits: int = 0
    seconds: float = 0.0
    refused: Failure | None = None
    failures: list[Failure] = field(default_factory=list)

    @property
    def kernels(self) -> int:
        return self.built + self.cache_hits


class BuildService:
    """Serves one runner's build requests with the platform's builder, each compile in a fresh build jail."""

    def __init__(self, builder: KernelBuilder, limits: Limits, jailed: bool = True) -> None:
        self.builder = builder
        self.limits = limits
        self.jailed = jailed
        self.log = BuildLog()
        self.requests = 0
        self.deadline: float | None = None  # the evaluation's (time.monotonic()); no compile outlives it
        # Modules this service handed out, with the stamp it gave them: each was copied to the runner before the
        # runner could ask again, so the cache may evict them at once if nobody else used them since.
        self.handed_out: dict[Path, int] = {}

    def _run(self, argv: list[str], stdin: bytes, stdout: Sink, stderr: BoundedLog) -> subprocess.CompletedProcess:
        # Nothing of the host is writable: the build works in the jail's scratch folder, on its capped tmpfs.
        spec = JailSpec(read_only=self.builder.read_only_dirs(), tmpfs_mb=self.limits.max_file_mb)
        timeout = COMPILE_TIMEOUT_S
        if self.deadline is not None:
            timeout = max(1.0, min(timeout, self.deadline - time.monotonic()))
        return run(argv, spec, self.limits, timeout, jailed=self.jailed, stdin=stdin, stdout=stdout, stderr=stderr)

    def _keep_cache_in_bounds(self, module: Path) -> None:
        # A builder's ext_dir is <cache>/<kind>/<toolchain>/ext: the limit is over every kind and toolchain.
        evict(Path(self.builder.ext_dir).parents[2], cache_limit_bytes(), keep=module.parent,
              settled=self.handed_out)

    def __call__(self, request: BuildRequest) -> Built:
        self.requests += 1  # refused requests count too: each one costs the judge a screen
        if self.requests > MAX_BUILDS:  # not answered: a runner past the cap is mining the judge, not building
            raise ProtocolBreach(f"more than {MAX_BUILDS} kernel build requests in one evaluation")
        start = time.perf_counter()
        try:
            module = self.builder.build(request, self._run)
        except UnsafeSourceError as exc:
            failure = Failure(status=Status.rejected, reason=Reason.unsafe_native_code, message=str(exc))
            self.log.refused = self.log.refused or failure
            return Built(failure=failure)
        except BuildError as exc:
            failure = Failure(status=Status.build_error, reason=Reason.compile_error, message=str(exc),
                              log=exc.log[-MAX_LOG_CHARS:])
            self.log.failures.append(failure)
            return Built(failure=failure)
        finally:
            self.log.seconds += time.perf_counter() - start
        if module.cache_hit:
            self.log.cache_hits += 1
        else:
            self.log.built += 1
            self._keep_cache_in_bounds(module.path)
        self.handed_out[module.path.parent] = module.stamp
        return Built(path=str(module.path), compiled_only=module.compiled_only)
