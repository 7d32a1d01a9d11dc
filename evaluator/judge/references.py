"""Reference sessions: warm runners of the task's own code, and the inputs and outputs they produced.

The task's code runs only in jailed runners, even a built-in task's (one way to run task code, whoever wrote it).
A session has two: the reference runner, which runs the task's Model (reference outputs, the baseline's timed
rounds), and an inputs runner, which runs the task's `get_inputs` (so the timed runner does no extra work between
rounds that the candidate's does not). The judge keeps both alive between evaluations of the same task version.
Every set of inputs comes from a seed drawn from the OS's secret randomness (`secret_seed`, row 20): no runner is
ever told one, and none can be derived from anything a runner can read, so a candidate cannot make the inputs it
will be given ahead of time. Inputs and outputs are data in the judge's memory; the judge compares and decides
with them, and never runs the code that made them.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from kernelwright.evaluator.judge.runner_process import (
    RunnerConfig,
    RunnerFailed,
    RunnerGone,
    RunnerProcess,
    RunnerTimeout,
)
from kernelwright.evaluator.runner import tensors
from kernelwright.evaluator.runner.protocol import Call, MakeInputs, Role, Setup
from kernelwright.tasks.model import Task

START_TIMEOUT_S = 300.0


def secret_seed() -> int:
    """A seed for one set of inputs, from the OS's secret randomness (never derived from anything else)."""
    return secrets.randbits(62)


class ReferenceFailed(Exception):
    """The task's own code failed in its runner: a problem with the task, reported as such."""


class ReferenceTimedOut(ReferenceFailed):
    """The evaluation's time ran out while the reference ran: a timeout, not the task's fault."""


@dataclass(frozen=True)
class SessionKey:
    task_hash: str
    size: str
    platform: str
    threads: int
    seed: int  # the models' construction seed (public: the inputs' seeds are secret and unrelated)
    jailed: bool


@dataclass
class ReferenceSession:
    """One task version's reference runner and the data it produced."""

    key: SessionKey
    task: Task
    config: RunnerConfig
    runner: RunnerProcess | None = None
    maker: RunnerProcess | None = None  # the inputs runner
    lock: threading.RLock = field(default_factory=threading.RLock)
    _set_up: set[int] = field(default_factory=set)  # ids of the runners above that have their task loaded

    def prestart(self) -> None:
        """Start the processes of both runners that are not running, without waiting for them: their Python and
        torch import side by side (and beside the candidate's runner) instead of one after another."""
        if self.runner is None or not self.runner.alive:
            self.runner = self._spawned(self.runner)
        if self.maker is None or not self.maker.alive:
            self.maker = self._spawned(self.maker)

    def _spawned(self, old: RunnerProcess | None) -> RunnerProcess:
        if old is not None:
            # Forget it before it goes: a new runner may be given the same id(), and would pass for set up
            # (the reference then got a command before its setup, seen once under CI's load).
            self._set_up.discard(id(old))
            old.kill()
        return RunnerProcess(self.config)

    def _started(self, runner: RunnerProcess | None, deadline: float) -> RunnerProcess:
        """`runner` if it is alive and set up, else it (or a fresh one) set up now."""
        if runner is None or not runner.alive:
            runner = self._spawned(runner)
        if id(runner) not in self._set_up:
            setup = Setup(role=Role.reference, task_id=self.task.id, task_source=self.task.source,
                          platform=self.key.platform, threads=self.key.threads, seed=self.key.seed)
            self._call(lambda: runner.request(setup, deadline))
            # Forget runners that are gone (an id may be reused by a new object).
            self._set_up = {id(r) for r in (self.runner, self.maker) if r is not None and id(r) in self._set_up}
            self._set_up.add(id(runner))
        return runner

    def ensure_runner(self, deadline: float) -> RunnerProcess:
        """The live reference runner, started (and set up) if it is not running."""
        self.runner = self._started(self.runner, deadline)
        return self.runner

    def _inputs_runner(self, deadline: float) -> RunnerProcess:
        self.maker = self._started(self.maker, deadline)
        return self.maker

    def _call(self, fn: Any) -> Any:
        try:
            return fn()
        except RunnerFailed as exc:
            raise ReferenceFailed(exc.failure.message) from exc
        except RunnerGone as exc:
            raise ReferenceFailed(f"the reference runner {exc.why}") from exc
        except RunnerTimeout as exc:
            raise ReferenceTimedOut("the reference runner did not answer in time") from exc

    def fresh_inputs(self, deadline: float, first_only: bool = False) -> list[list[Any]]:
        """The task's input groups for a new secret seed, made by the inputs runner (`first_only`: group 0 alone)."""
        runner = self._inputs_runner(deadline)
        reply = self._call(lambda: runner.request(MakeInputs(seed=secret_seed(), first_only=first_only), deadline))
        size = self.config.arena_bytes
        try:
            tensors.check_total([a.tensor for g in reply.groups for a in g if a.tensor is not None], size)
            return [tensors.read_args(runner.tx, group, size) for group in reply.groups]
        except tensors.WireError as exc:
            raise ReferenceFailed(f"the task's inputs could not be read: {exc}") from exc

    def timing_inputs(self, deadline: float) -> Callable[[int], list[Any]]:
        """What timing rounds run on: new inputs for every bucket (bucket 0 is the warm-up), never reused: group 0 only,
        since timing runs on nothing else and making the other groups cost a bucket as much again."""
        return lambda bucket: self.fresh_inputs(deadline, first_only=True)[0]

    def run(self, args: list[Any], deadline: float, where: str = "reference") -> list[torch.Tensor]:
        """The reference outputs for `args`."""
        runner = self.ensure_runner(deadline)
        reply = self._call(lambda: runner.request(Call(args=runner.write_args(args), where=where), deadline))
        try:
            return runner.read_outputs(reply.outputs)
        except tensors.WireError as exc:
            raise ReferenceFailed(f"the reference outputs could not be read: {exc}") from exc

    def close(self) -> None:
        for runner in (self.runner, self.maker):
            if runner is not None:
                runner.kill()
        self.runner = self.maker = None
        self._set_up.clear()


class SessionPool:
    """The judge's warm reference sessions, least recently used first out."""

    def __init__(self, capacity: int = 2) -> None:
        self.capacity = capacity
        self._sessions: OrderedDict[SessionKey, ReferenceSession] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: SessionKey, task: Task, config: RunnerConfig) -> ReferenceSession:
        with self._lock:
            session = self._sessions.pop(key, None)
            if session is None:
                session = ReferenceSession(key, task, config)
            self._sessions[key] = session
            while len(self._sessions) > self.capacity:
                _, old = self._sessions.popitem(last=False)
                with old.lock:  # not while another evaluation is using it
                    old.close()
            return session

    def close(self) -> None:
        with self._lock:
            for session in self._sessions.values():
                session.close()
            self._sessions.clear()

