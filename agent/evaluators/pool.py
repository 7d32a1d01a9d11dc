"""The pool of evaluator actors the driver calls, from its asyncio loop.

Every evaluation or baseline call has a deadline (agent/call_deadline.py): an actor that has not answered by then is
killed, with the evaluation in it, and the caller gets a timeout verdict instead of waiting for ever.

Nodes come and go (autoscaling, preemption): a call whose actor died is retried on another actor (the driver records
a verdict only once it has it, so a lost evaluation is never stored twice nor dropped), and the pool is topped up
from the live nodes after a loss and every `REFRESH_S` seconds. The pool plans from what the nodes have, not what
is free: another pool or Ray job on the same nodes can hold the CPUs an evaluator is pinned to, so `start` waits at
most `PLACEMENT_TIMEOUT_S` for its actors to be placed and then fails, naming each node's free CPUs. Actors added
during a run take calls only once they are up; one still unplaced after `PLACEMENT_TIMEOUT_S` is dropped (the next
top-up asks again), so no call waits on an actor that has no room.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from kernelwright.agent.call_deadline import CallTimedOut, call_timeout_s, timed_out_baselines, timed_out_evaluation
from kernelwright.agent.evaluators.actor import Evaluator, EvaluatorSite
from kernelwright.agent.evaluators.config import ClusterConfig, ClusterError
from kernelwright.agent.evaluators.local_ray import init_ray
from kernelwright.agent.evaluators.placement import live_nodes, plan_evaluators
from kernelwright.evaluator import BaselineResult, EvalOptions, EvalResult
from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks
from kernelwright.tasks.model import Task

# How often the pool looks for nodes that joined, and how long a run waits with no evaluator at all.
REFRESH_S = 15.0
NO_EVALUATOR_TIMEOUT_S = 300.0
# How long `start` waits for its evaluators to be placed: Ray keeps an actor pinned to a node whose CPUs (or GPUs)
# are all held, by another pool or Ray job, pending for ever, so past this the start fails and says so.
PLACEMENT_TIMEOUT_S = 120.0
# A call is retried on another actor after this many losses at most (each loss is a dead actor or node).
MAX_LOSSES_PER_CALL = 8
# What a lost actor or node looks like to a caller; an exception raised by the evaluation itself is not one.
LOST_ERRORS: tuple[type[BaseException], ...] = (
    ray.exceptions.RayActorError, ray.exceptions.ActorUnschedulableError, ray.exceptions.NodeDiedError,
    ray.exceptions.WorkerCrashedError, ray.exceptions.ObjectLostError,
)


@dataclass(frozen=True)
class Judged:
    """An evaluator's verdict and where it was reached."""

    result: EvalResult
    site: EvaluatorSite


@dataclass(frozen=True)
class Measured:
    """A task's baselines and where they were measured."""

    result: BaselineResult
    site: EvaluatorSite


@dataclass
class _Member:
    """One evaluator actor of the pool."""

    handle: Any
    node_id: str
    site: EvaluatorSite | None = None
    num_cpus: float = 0.0
    num_gpus: int = 0


class EvaluatorPool:
    """Ray connection plus a pool of evaluator actors, used from the driver's asyncio loop."""

    def __init__(self, config: ClusterConfig, platform: str) -> None:
        self.config = config
        self.platform = platform
        self.started_ray = False
        self.gpus = 0  # GPUs in the Ray cluster, known once started
        self.members: list[_Member] = []
        self._idle: list[_Member] = []
        # Actors added during a run that are not up yet: their ready ref -> (member, when it was asked for).
        self._pending: dict[Any, tuple[_Member, float]] = {}
        self._changed: asyncio.Condition | None = None
        self._refreshed = 0.0

    def start(self) -> None:
        """Connect to (or start) Ray, create the evaluator actors on the live nodes and wait until they are up."""
        if not ray.is_initialized():
            init_ray(self.config.address, self.config.temp_dir)
            self.started_ray = True
        self.gpus = int(ray.cluster_resources().get("GPU", 0))
        self._top_up()
        if not self.members:
            raise ClusterError("no live Ray node has CPUs for an evaluator; add a node (ray start --address ...)")
        self._await_placement()
        sites = ray.get([m.handle.site.remote() for m in self.members])
        for member, site in zip(self.members, sites):
            member.site = site

    def _await_placement(self) -> None:
        """Wait until every actor of the pool is placed on its node; after `PLACEMENT_TIMEOUT_S`, kill the pool
        (an actor left pending would take its node's CPUs whenever they came free) and raise a `ClusterError`
        that says what each node still had free."""
        asked = {m.handle.ready.remote(): m for m in self.members}
        _, pending = ray.wait(list(asked), num_returns=len(asked), timeout=PLACEMENT_TIMEOUT_S)
        if not pending:
            return
        message = _unplaced_message([asked[ref] for ref in pending], len(self.members))
        self.shutdown()
        raise ClusterError(message)

    @property
    def size(self) -> int:
        return len(self.members)

    def nodes(self) -> list[str]:
        """The node ids that hold an evaluator now."""
        return sorted({m.node_id for m in self.members})

    def describe(self) -> str:
        where = self.config.address or "local"
        nodes = len(self.nodes())
        return (f"Ray ({where}), {self.size} evaluator{'s' if self.size != 1 else ''} for {self.platform} on "
                f"{nodes} node{'s' if nodes != 1 else ''}")

    def sites(self) -> list[EvaluatorSite]:
        """Where the current evaluators run (those that have reported in)."""
        return [m.site for m in self.members if m.site is not None]

    async def hardware(self) -> tuple[HardwareInfo, Peaks | None]:
        """The hardware of one evaluator, for prompts (`sites()` lists every node's)."""
        sites = self.sites()
        if not sites:
            raise ClusterError("no evaluator has reported its hardware yet; call start() first")
        return sites[0].hardware, sites[0].peaks

    async def evaluate(self, task: Task, source: str, options: EvalOptions) -> Judged:
        """Run one evaluation on the next idle actor (another one if that actor's node dies meanwhile); an actor
        that does not answer within `call_timeout_s` is killed, and the verdict is a timeout."""
        try:
            result, site = await self._call(lambda h: h.evaluate.remote(task, source, options),
                                            timeout_s=call_timeout_s(options))
        except CallTimedOut as late:
            return Judged(result=timed_out_evaluation(task, source, self.platform, options, late), site=late.site)
        return Judged(result=result, site=site)

    async def baselines(self, task: Task, options: EvalOptions, fingerprint: str | None = None) -> Measured:
        """Time the task's eager model against torch.compile on an idle actor (on hardware `fingerprint` if
        given)."""
        want = None if fingerprint is None else (lambda m: m.site is not None
                                                 and m.site.hardware.fingerprint == fingerprint)
        try:
            result, site = await self._call(lambda h: h.baselines.remote(task, options), want,
                                            timeout_s=call_timeout_s(options))
        except CallTimedOut as late:
            return Measured(result=timed_out_baselines(task, self.platform, options, late), site=late.site)
        return Measured(result=result, site=site)

    # --- the pool -------------------------------------------------------------------------------------

    async def _call(self, call: Callable[[Any], Any], want: Callable[[_Member], bool] | None = None,
                    timeout_s: float | None = None) -> tuple[Any, EvaluatorSite]:
        """`call` on an idle actor, retried on another when the actor is lost; `CallTimedOut` (the actor killed)
        when it has not answered within `timeout_s`."""
        losses = 0
        while True:
            member = await self._acquire(want)
            try:
                if member.site is None:
                    member.site = await member.handle.site.remote()
                value = await asyncio.wait_for(call(member.handle), timeout_s)
            except asyncio.TimeoutError:
                # A sync actor's running call cannot be cancelled: killing the actor stops the evaluation (its
                # jailed runners die with their judge), and the pool tops up in its place.
                await self._lose(member)
                assert member.site is not None
                raise CallTimedOut(timeout_s or 0.0, member.site) from None
            except LOST_ERRORS as exc:
                await self._lose(member)
                losses += 1
                if losses >= MAX_LOSSES_PER_CALL:
                    raise ClusterError(f"{losses} evaluators died under one call; last: {exc}") from exc
                continue
            except BaseException:
                await self._release(member)
                raise
            await self._release(member)
            return value, member.site

    async def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
            self._idle = list(self.members)
            self._refreshed = time.monotonic()
        return self._changed

    async def _acquire(self, want: Callable[[_Member], bool] | None) -> _Member:
        changed = await self._condition()
        waited_empty = 0.0
        async with changed:
            while True:
                if time.monotonic() - self._refreshed > REFRESH_S:
                    self._refresh()
                self._admit()
                member = next((m for m in self._idle if want is None or want(m)), None)
                if member is not None:
                    self._idle.remove(member)
                    return member
                if want is not None and not any(want(m) for m in self.members):
                    want = None  # that hardware left the cluster: any evaluator will do
                    continue
                started = time.monotonic()
                # Woken by a release or a change; an actor still being placed is looked at again within a second.
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(changed.wait(), 1.0 if self._pending else REFRESH_S)
                if not self._placed():
                    waited_empty += time.monotonic() - started
                    if waited_empty > NO_EVALUATOR_TIMEOUT_S:
                        raise ClusterError(f"no evaluator for {NO_EVALUATOR_TIMEOUT_S:.0f} s: no live Ray node "
                                           "has CPUs for one")

    async def _release(self, member: _Member) -> None:
        changed = await self._condition()
        async with changed:
            if member in self.members:
                self._idle.append(member)
            changed.notify_all()

    async def _lose(self, member: _Member) -> None:
        """Drop a dead actor and top the pool up from the nodes still alive."""
        changed = await self._condition()
        async with changed:
            if member in self.members:
                self.members.remove(member)
            _kill(member.handle)
            self._refresh()
            changed.notify_all()

    async def refresh(self, wait_s: float = 0.0) -> None:
        """Look at the cluster's nodes now: evaluators for nodes that joined, none kept for nodes that left (the
        pool also does this by itself every `REFRESH_S` seconds and after every loss). With `wait_s`, wait up to
        that long for the evaluators it added to come up (they take calls only once they are)."""
        changed = await self._condition()
        async with changed:
            self._refresh()
        deadline = time.monotonic() + wait_s
        while self._pending and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            async with changed:
                self._admit()
                changed.notify_all()

    def _refresh(self) -> None:
        # Callers hold the condition's lock (notify_all needs it).
        self._refreshed = time.monotonic()
        for member in self._top_up():
            self._pending[member.handle.ready.remote()] = (member, time.monotonic())
        self._admit()
        if self._changed is not None and self._idle:
            self._changed.notify_all()

    def _admit(self) -> None:
        """Give calls the actors added during a run that are up now; drop those still unplaced after
        `PLACEMENT_TIMEOUT_S` (a node whose CPUs another job holds), so that no call waits on them."""
        if not self._pending:
            return
        # A dead actor's ready ref is done too (with an error): the call that gets it retries elsewhere.
        done, _ = ray.wait(list(self._pending), num_returns=len(self._pending), timeout=0)
        for ref in done:
            member, _ = self._pending.pop(ref)
            if member in self.members:
                self._idle.append(member)
        now = time.monotonic()
        for ref, (member, asked) in list(self._pending.items()):
            if member not in self.members or now - asked > PLACEMENT_TIMEOUT_S:
                del self._pending[ref]
                if member in self.members:
                    self.members.remove(member)
                    _kill(member.handle)

    def _placed(self) -> list[_Member]:
        waiting = {id(member) for member, _ in self._pending.values()}
        return [m for m in self.members if id(m) not in waiting]

    def _top_up(self) -> list[_Member]:
        """Create the actors the live nodes should hold and do not; returns the new ones."""
        nodes = live_nodes()
        alive = {n.node_id for n in nodes}
        for member in [m for m in self.members if m.node_id not in alive]:
            self.members.remove(member)
            if member in self._idle:
                self._idle.remove(member)
            _kill(member.handle)
        have: dict[str, int] = {}
        for member in self.members:
            have[member.node_id] = have.get(member.node_id, 0) + 1
        new: list[_Member] = []
        for placement in plan_evaluators(nodes, self.platform, self.config.workers):
            if have.get(placement.node_id, 0) > 0:
                have[placement.node_id] -= 1
                continue
            actor_cls = ray.remote(Evaluator).options(
                num_cpus=placement.num_cpus, num_gpus=placement.num_gpus, max_restarts=0,
                scheduling_strategy=NodeAffinitySchedulingStrategy(placement.node_id, soft=False))
            new.append(_Member(handle=actor_cls.remote(self.platform), node_id=placement.node_id,
                               num_cpus=placement.num_cpus, num_gpus=placement.num_gpus))
        self.members.extend(new)
        return new

    def shutdown(self) -> None:
        """Kill our actors (and with them any evaluation in flight); disconnect, stopping Ray if we started it."""
        for member in self.members:
            _kill(member.handle)
        self.members = []
        self._idle = []
        self._pending = {}
        if self.started_ray:
            ray.shutdown()
            self.started_ray = False


def _free_per_node() -> dict[str, dict[str, float]]:
    """What each live node has free now (Ray's developer API; empty if this Ray version lacks it)."""
    try:
        from ray._private.state import available_resources_per_node

        return {node_id: dict(free) for node_id, free in available_resources_per_node().items()}
    except Exception:  # noqa: BLE001 - only used to word an error
        return {}


def _unplaced_message(stuck: list[_Member], planned: int) -> str:
    free = _free_per_node()
    nodes = {n.node_id: n for n in live_nodes()}
    parts = []
    for node_id in sorted({m.node_id for m in stuck}):
        members = [m for m in stuck if m.node_id == node_id]
        node = nodes.get(node_id)
        have = free.get(node_id, {})
        where = f"node {node_id[:12]}" + (f" ({node.address})" if node and node.address else "")
        if node is None:
            parts.append(f"{where} is no longer alive")
            continue
        gpus = f", {have.get('GPU', 0.0):g} of {node.gpus} GPUs free" if members[0].num_gpus else ""
        ask = f"{members[0].num_cpus:g} CPU" + (f" and {members[0].num_gpus} GPU" if members[0].num_gpus else "")
        parts.append(f"{where} has {have.get('CPU', 0.0):g} of {node.cpus:g} CPUs free{gpus}, and "
                     f"{len(members)} evaluator{'s' if len(members) != 1 else ''} there "
                     f"ask{'s' if len(members) == 1 else ''} {ask} each")
    return (f"{len(stuck)} of {planned} evaluators could not be placed within {PLACEMENT_TIMEOUT_S:.0f} s: "
            + "; ".join(parts) + ". Another Kernelwright pool or Ray job holds those resources: stop it, ask "
            "for fewer evaluators (--workers), or add a node")


def _kill(handle: Any) -> None:
    try:
        ray.kill(handle, no_restart=True)
    except ray.exceptions.RayError:
        pass  # already gone with its node
