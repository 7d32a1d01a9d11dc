"""Nothing stalls the judge (row 21), in process: the channel's send deadline and tags, the frames a runner may send
for each command, the build cap, the watchdog, and what an exit status means.

The runner's side is played by a thread on the other end of a socket pair; no jail starts here (the jailed kernels
of tests/adversarial/ cover the same ground end to end).
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kernelwright.evaluator.jail.limits import Limits
from kernelwright.evaluator.jail.process import ExitStatus, exit_status
from kernelwright.evaluator.judge.outcomes import from_exit
from kernelwright.evaluator.judge.runner_process import (
    ProtocolBreach,
    RunnerBreach,
    RunnerConfig,
    RunnerGone,
    RunnerProcess,
    RunnerTimeout,
)
from kernelwright.evaluator.judge.watchdog import Watchdog
from kernelwright.evaluator.result import Reason, Stage, Status
from kernelwright.evaluator.runner.protocol import (
    JUDGE_MESSAGE,
    BuildRequest,
    Built,
    Call,
    Channel,
    ChannelBreach,
    ChannelTimeout,
    Failure,
    Ready,
    Reply,
    Setup,
)

LIMITS = Limits(memory_mb=1024, cpu_seconds=60, max_processes=32, max_file_mb=100)
SETUP = Setup(role="candidate", task_id="t", task_source="", platform="cpu", threads=1)


@pytest.fixture
def pair() -> Iterator[tuple[Channel, Channel]]:
    """The judge's end and a runner's end of a fresh control channel."""
    judge, runner = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    yield Channel(judge, asks=True), Channel(runner)
    judge.close()
    runner.close()


# --- the channel -----------------------------------------------------------------------------------------


def test_a_send_the_other_end_never_reads_times_out(pair: tuple[Channel, Channel]) -> None:
    judge, _ = pair
    big = Failure(status=Status.runtime_error, reason=Reason.crashed, message="x", log="y" * 190_000)
    with pytest.raises(ChannelTimeout):
        for _ in range(20):  # a few frames fill the socket's buffer; the next send waits for a reader
            judge.send(big, time.monotonic() + 0.2)


def test_an_answer_carries_the_tag_of_its_question(pair: tuple[Channel, Channel]) -> None:
    judge, runner = pair
    runner.send(Ready())  # before any question: the one frame the judge awaits at the start
    assert judge.recv_raw(time.monotonic() + 5)["op"] == "ready"
    judge.send(SETUP)
    assert isinstance(runner.recv(JUDGE_MESSAGE), Setup)
    runner.send(Reply())
    assert judge.recv_raw(time.monotonic() + 5)["op"] == "reply"


def test_an_answer_written_before_its_question_is_refused(pair: tuple[Channel, Channel]) -> None:
    judge, runner = pair
    runner.send(Reply())  # ahead of the command it hopes to answer
    judge.send(SETUP)
    with pytest.raises(ChannelBreach):
        judge.recv_raw(time.monotonic() + 5)


def test_a_second_answer_is_refused_unread(pair: tuple[Channel, Channel]) -> None:
    judge, runner = pair
    judge.send(SETUP)
    runner.recv(JUDGE_MESSAGE)
    runner.send(Reply())
    runner.send(Reply())
    assert judge.recv_raw(time.monotonic() + 5)["op"] == "reply"
    assert judge.pending()  # what a flood looks like right after the first frame
    with pytest.raises(ChannelBreach):
        judge.recv_raw(time.monotonic() + 5)


def test_nothing_pending_after_a_lone_answer(pair: tuple[Channel, Channel]) -> None:
    judge, runner = pair
    judge.send(SETUP)
    runner.recv(JUDGE_MESSAGE)
    runner.send(Reply())
    judge.recv_raw(time.monotonic() + 5)
    assert not judge.pending()


# --- what a runner may send for each command ---------------------------------------------------------------


class _Child:
    """Stands in for a jailed process: nothing to kill, and an exit code if asked."""

    def __init__(self) -> None:
        self.killed = 0
        self.proc = self
        self.oom_killed = False
        self.notes: list[str] = []

    def kill(self) -> None:
        self.killed += 1

    def interrupt(self) -> None:
        pass

    def wait(self, timeout: float) -> int:
        return 0


def _runner(sock: socket.socket, on_build: Callable[[BuildRequest], Built] | None) -> RunnerProcess:
    """A RunnerProcess around the judge's end of `sock`, already past `ready`, with no process behind it."""
    runner = object.__new__(RunnerProcess)
    runner.config = RunnerConfig(platform="cpu", threads=1, limits=LIMITS)
    runner.on_build, runner.started, runner._log, runner.modules = on_build, 0.0, [], None
    runner.rx = runner.tx = -1
    runner.channel = Channel(sock, asks=True)
    runner.child = _Child()  # type: ignore[assignment]
    runner.expiry, runner.ready, runner.loaded = None, True, None
    runner.watchdog = Watchdog(lambda: None)
    return runner


def _play(sock: socket.socket, answers: Callable[[Channel, Any], None]) -> threading.Thread:
    """The runner's side: read the command, then `answers(channel, command)`."""
    channel = Channel(sock)

    def run() -> None:
        try:
            answers(channel, channel.recv(JUDGE_MESSAGE))
        except Exception:  # noqa: BLE001 - the judge closing its end mid-script is part of some tests
            pass

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


BUILD = BuildRequest(name="k", cpp_sources=["int f() { return 1; }"])
REFUSED = Built(failure=Failure(status=Status.build_error, reason=Reason.compile_error, message="no"))


def _request(command: Any, answers: Callable[[Channel, Any], None],
             on_build: Callable[[BuildRequest], Built] | None = None) -> tuple[Any, RunnerProcess]:
    judge, runner_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    runner = _runner(judge, on_build)
    thread = _play(runner_end, answers)
    try:
        return runner.request(command, time.monotonic() + 10), runner
    finally:
        runner.kill()
        runner_end.close()
        thread.join(5)


def _build_then_reply(builds: int) -> Callable[[Channel, Any], None]:
    def answers(channel: Channel, _: Any) -> None:
        for _ in range(builds):
            channel.send(BUILD)
            channel.recv(JUDGE_MESSAGE)
        channel.send(Reply())
    return answers


def _recording(served: list[BuildRequest]) -> Callable[[BuildRequest], Built]:
    def serve(request: BuildRequest) -> Built:
        served.append(request)
        return REFUSED
    return serve


def test_builds_are_served_while_the_candidate_loads() -> None:
    served: list[BuildRequest] = []
    reply, _ = _request(SETUP, _build_then_reply(3), on_build=_recording(served))
    assert isinstance(reply, Reply) and len(served) == 3


def test_a_build_request_during_a_call_ends_the_evaluation() -> None:
    served: list[BuildRequest] = []
    with pytest.raises(RunnerBreach, match="build request during 'call'"):
        _request(Call(args=[]), _build_then_reply(1), on_build=_recording(served))
    assert served == [], "a build outside loading must not be answered"


def test_a_runner_that_builds_nothing_may_not_ask() -> None:
    with pytest.raises(RunnerBreach, match="build request"):
        _request(SETUP, _build_then_reply(1))


def test_a_request_past_the_build_cap_ends_the_evaluation_unanswered() -> None:
    asked = 0

    def capped(request: BuildRequest) -> Built:
        nonlocal asked
        asked += 1
        if asked > 2:
            raise ProtocolBreach("more than 2 kernel build requests in one evaluation")
        return REFUSED

    with pytest.raises(RunnerBreach, match="more than 2"):
        _request(SETUP, _build_then_reply(50), on_build=capped)
    assert asked == 3


def test_an_answer_of_the_wrong_kind_ends_the_evaluation() -> None:
    with pytest.raises(RunnerBreach, match="'ready' frame in answer to 'call'"):
        _request(Call(args=[]), lambda channel, _: channel.send(Ready()))


def test_a_flood_behind_the_answer_ends_the_evaluation() -> None:
    def flood(channel: Channel, _: Any) -> None:
        frames = []
        real = channel.sock

        class Collect:
            def settimeout(self, _: object) -> None:
                pass

            def sendall(self, data: bytes) -> None:
                frames.append(data)

        channel.sock = Collect()  # type: ignore[assignment]
        for _ in range(100):
            channel.send(Reply())
        real.sendall(b"".join(frames))

    with pytest.raises(RunnerBreach, match="more bytes behind"):
        _request(Call(args=[]), flood)


def test_a_runner_that_never_reads_times_out_in_the_send() -> None:
    judge, runner_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    runner = _runner(judge, None)
    big = Setup(role="candidate", task_id="t", task_source="x" * 2_000_000, platform="cpu", threads=1)
    try:
        with pytest.raises(RunnerTimeout):
            runner.request(big, time.monotonic() + 0.3)
        assert runner.child.killed  # type: ignore[attr-defined]
    finally:
        runner.kill()
        runner_end.close()


# --- the watchdog --------------------------------------------------------------------------------------------


def _until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_the_watchdog_kills_at_the_deadline_once() -> None:
    kills: list[float] = []
    dog = Watchdog(lambda: kills.append(time.monotonic()))
    dog.arm(time.monotonic() + 0.05)
    assert _until(lambda: bool(kills)) and dog.fired
    dog.arm(time.monotonic())  # fired already: nothing more
    time.sleep(0.1)
    assert len(kills) == 1


def test_a_sooner_deadline_wakes_the_watchdog() -> None:
    kills: list[int] = []
    dog = Watchdog(lambda: kills.append(1))
    dog.arm(time.monotonic() + 3600)
    dog.arm(time.monotonic() + 0.05)
    assert _until(lambda: bool(kills), 2.0)
    dog.close()


def test_a_disarmed_or_closed_watchdog_never_kills() -> None:
    kills: list[int] = []
    disarmed = Watchdog(lambda: kills.append(1))
    disarmed.arm(time.monotonic() + 0.05)
    disarmed.disarm()
    closed = Watchdog(lambda: kills.append(2))
    closed.arm(time.monotonic() + 0.05)
    closed.close()
    time.sleep(0.3)
    assert kills == [] and not disarmed.fired and not closed.fired
    disarmed.close()
    assert closed._thread is not None and _until(lambda: not closed._thread.is_alive())  # type: ignore[union-attr]


# --- exit statuses -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("returncode", "jailed", "expected"), [
    (137, True, ExitStatus(signal=9)),  # bubblewrap: its child killed by SIGKILL (the filter forbids exit(137))
    (159, True, ExitStatus(signal=31)),  # the seccomp filter's SIGSYS
    (3, True, ExitStatus(code=3)),
    (-9, True, ExitStatus(signal=9)),  # bubblewrap itself killed (by the judge)
    (137, False, ExitStatus(code=137)),  # unjailed, Popen's status is the runner's own
    (-11, False, ExitStatus(signal=11)),
])
def test_exit_status(returncode: int, jailed: bool, expected: ExitStatus) -> None:
    assert exit_status(returncode, jailed) == expected


def test_only_the_cgroup_says_out_of_memory() -> None:
    killed = from_exit(RunnerGone("killed by SIGKILL", signal.SIGKILL, oom=False), Stage.correctness)
    assert (killed.status, killed.reason) == (Status.runtime_error, Reason.crashed)
    assert "SIGKILL" in killed.message and "OOM" in killed.message
    oom = from_exit(RunnerGone("killed by SIGKILL", signal.SIGKILL, oom=True), Stage.correctness)
    assert oom.reason is Reason.out_of_memory


def test_a_breach_is_a_protocol_violation() -> None:
    ending = from_exit(RunnerBreach("a 'ready' frame in answer to 'call'"), Stage.correctness)
    assert (ending.status, ending.reason) == (Status.rejected, Reason.protocol_violation)
    assert "'ready' frame" in ending.message
