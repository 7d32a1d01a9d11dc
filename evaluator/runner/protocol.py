"""What the judge and a jailed runner say to each other, and how it travels.

Control: length-prefixed JSON frames on an AF_UNIX socket pair. Data: two sealed memfds, `rx` (judge writes,
runner reads: inputs) and `tx` (runner writes, judge reads: outputs and generated inputs). The runner finds the
three descriptors in $KW_RUNNER_FDS. Both arenas have a fixed size (sealed against growing and shrinking), so
neither side can make the other's reads fault or its memory grow; the judge touches them only with pread/pwrite.

Everything a runner sends is untrusted: frames are size-capped and validated against these models, tensor specs
are checked against what the judge expects before a byte is read, and no message can carry a verdict.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import socket
import struct
import termios
import time
from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError, field_validator

from kernelwright.evaluator.result import Reason, Stage, Status, Verification

FDS_ENV = "KW_RUNNER_FDS"
MAX_FRAME = 16 * 2**20
# A frame: its length, its tag (see `Channel`), then that many bytes of JSON.
_HEADER = struct.Struct(">IQ")
_INT = struct.Struct("i")
# Tensor dtypes that cross the wire, by name; anything else is refused.
DTYPES = ("float16", "bfloat16", "float32", "float64", "complex64", "complex128", "int8", "int16", "int32", "int64",
          "uint8", "bool")
MAX_DIMS = 16
# Far beyond any arena, and far inside int64: an extent, stride or offset past it is a lie, not a tensor.
MAX_EXTENT = 2**48


def runner_fds() -> tuple[int, int, int]:
    """The runner's control socket, rx arena and tx arena, as the judge passed them."""
    control, rx, tx = (int(part) for part in os.environ[FDS_ENV].split(","))
    return control, rx, tx


# Distinct ATen operators a reference may name in one reply (a whole architecture dispatches a few dozen).
MAX_OPS = 512


class Role(str, Enum):
    """What a runner runs."""

    reference = "reference"  # the task's Model only: inputs, reference outputs, baseline timing
    compiled = "compiled"  # torch.compile of the task's Model (the compile baseline)
    candidate = "candidate"  # the candidate's ModelNew, under the run-time tripwires


class TensorSpec(BaseModel):
    """A tensor in an arena: dtype, shape and strides, and where its dense storage span lies."""

    dtype: Literal[DTYPES]  # type: ignore[valid-type]
    shape: list[Annotated[int, Field(ge=0, le=MAX_EXTENT)]] = Field(max_length=MAX_DIMS)
    stride: list[Annotated[int, Field(ge=0, le=MAX_EXTENT)]] = Field(max_length=MAX_DIMS)
    offset: int = Field(ge=0, le=MAX_EXTENT)
    nbytes: int = Field(ge=0, le=MAX_EXTENT)


class Arg(BaseModel):
    """One positional argument: a tensor in an arena, or a plain JSON value."""

    tensor: TensorSpec | None = None
    value: Any = None
    is_tuple: bool = False


# --- judge -> runner -------------------------------------------------------------------------------------


class Setup(BaseModel):
    op: Literal["setup"] = "setup"
    role: Role
    task_id: str
    task_source: str
    candidate_source: str = ""
    platform: str
    threads: int = Field(ge=1)
    seed: int = 0
    allow_torch: bool = False
    verification: Verification = Verification.native


class MakeInputs(BaseModel):
    """Reference runners: write the task's input groups for `seed` into tx (`first_only`: group 0 alone, what a
    timing bucket runs on)."""

    op: Literal["inputs"] = "inputs"
    seed: int
    first_only: bool = False


class Call(BaseModel):
    """Run the model once on `args` (in rx) and write its outputs into tx. `where` names the call in messages."""

    op: Literal["call"] = "call"
    args: list[Arg]
    where: str = ""
    record_ops: bool = Field(default=False, description="reference runners: name the ATen operators it dispatched")


class Load(BaseModel):
    """Allocate the timing buffers (fixed addresses for the whole measurement) for inputs shaped like `args`."""

    op: Literal["load"] = "load"
    args: list[Arg]


class Round(BaseModel):
    """Call the model `calls` times on the inputs in rx, synchronize, and write the last call's whole outputs into
    tx before answering: the judge's clock stops at the answer, so every output byte exists by then. The judge
    picks what it checks only afterwards, from its own copy, and never says what."""

    op: Literal["round"] = "round"
    calls: int = Field(ge=1)


class Finish(BaseModel):
    """Run the final tripwire checks (harness state after everything the candidate did)."""

    op: Literal["finish"] = "finish"


class Built(BaseModel):
    """The judge's answer to a build request: where the built module is, or why it could not be built."""

    op: Literal["built"] = "built"
    path: str = ""
    compiled_only: bool = False
    failure: Failure | None = None


# --- runner -> judge -------------------------------------------------------------------------------------


class Ready(BaseModel):
    op: Literal["ready"] = "ready"


class Reply(BaseModel):
    """A command's success: output specs (call, round), generated inputs (inputs) or nothing."""

    op: Literal["reply"] = "reply"
    outputs: list[TensorSpec] = Field(default_factory=list, max_length=64)
    groups: list[list[Arg]] = Field(default_factory=list, max_length=64)
    notes: list[str] = Field(default_factory=list, max_length=16)
    ops: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=MAX_OPS)


# The statuses a failure may carry: each one lowers a verdict. `build_ok_unverified` is the runner's word that a
# constructor failed for want of a GPU; the judge grants that verdict only from its own build log.
FAILURE_STATUSES = (Status.incorrect, Status.build_error, Status.runtime_error, Status.timeout, Status.rejected,
                    Status.build_ok_unverified)


class Failure(BaseModel):
    """A command's failure as the runner saw it. Only ever believed against the runner's own candidate, and only
    with a failing status: a runner that lies about a failure only hurts itself."""

    op: Literal["failure"] = "failure"
    status: Status
    reason: Reason

    @field_validator("status")
    @classmethod
    def _failing(cls, status: Status) -> Status:
        if status not in FAILURE_STATUSES:
            raise ValueError(f"a failure cannot have status {status.value!r}")
        return status
    message: str = Field(max_length=20_000)
    log: str = Field(default="", max_length=200_000)
    stage: Stage | None = None


class BuildRequest(BaseModel):
    """A candidate's `load_inline` call, as plain data: the judge compiles it in a build jail of its own."""

    op: Literal["build"] = "build"
    name: str = Field(max_length=200)
    cpp_sources: list[str] = Field(max_length=64)
    cuda_sources: list[str] = Field(default_factory=list, max_length=64)
    functions: list[str] | dict[str, str] | None = None
    extra_cflags: list[str] = Field(default_factory=list, max_length=64)
    extra_cuda_cflags: list[str] = Field(default_factory=list, max_length=64)
    extra_ldflags: list[str] = Field(default_factory=list, max_length=64)
    extra_include_paths: list[str] = Field(default_factory=list, max_length=16)
    with_cuda: bool | None = None


Built.model_rebuild()

RunnerMessage = Annotated[Ready | Reply | Failure | BuildRequest, Field(discriminator="op")]
JudgeMessage = Annotated[Setup | MakeInputs | Call | Load | Round | Finish | Built, Field(discriminator="op")]
RUNNER_MESSAGE: TypeAdapter[Any] = TypeAdapter(RunnerMessage)
JUDGE_MESSAGE: TypeAdapter[Any] = TypeAdapter(JudgeMessage)


class ChannelClosed(Exception):
    """The other end is gone (or sent something that is not a frame)."""


class ChannelTimeout(Exception):
    """No complete frame arrived, or the other end did not take ours, before the deadline."""


class ChannelBreach(Exception):
    """A frame that answers nothing the judge asked: written before the question it would answer was read."""


class Channel:
    """Length-prefixed JSON frames over a stream socket, with deadlines.

    Every frame carries a tag. The judge's end (`asks=True`) tags each frame it sends with a fresh secret random
    number and accepts only frames carrying the tag of its last one, so an answer must have been written after its
    question was read: no runner can answer ahead, and a frame queued behind an answer (a flood) is stale. A
    runner's end tags what it sends with the tag of the last frame it received.
    """

    def __init__(self, sock: socket.socket, asks: bool = False) -> None:
        self.sock = sock
        self.asks = asks
        # The judge's end: the tag the one frame it awaits must carry (None: it awaits none). A runner's end: the tag
        # of the last frame it received, which its frames echo. A runner says `ready` before it has received any.
        self.tag: int | None = 0

    def send(self, message: BaseModel, deadline: float | None = None) -> None:
        """Send one frame; with `deadline`, ChannelTimeout if the other end has not taken it all by then."""
        if self.asks:
            self.tag = secrets.randbits(64)
        data = message.model_dump_json().encode()
        frame = _HEADER.pack(len(data), self.tag or 0) + data
        if deadline is None:
            self.sock.settimeout(None)
        else:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ChannelTimeout("the deadline passed before the frame was sent")
            self.sock.settimeout(left)  # since Python 3.5 a bound on the whole sendall, not on each chunk
        try:
            self.sock.sendall(frame)
        except TimeoutError as exc:
            raise ChannelTimeout("the other end did not read before the deadline") from exc
        except OSError as exc:
            raise ChannelClosed(f"the other end closed the channel ({exc})") from exc

    def pending(self) -> bool:
        """Whether bytes are already waiting to be read (after an answer, that is a frame nobody asked for)."""
        try:  # the receive queue's length: no wait, no exception on an empty queue
            return _INT.unpack(fcntl.ioctl(self.sock.fileno(), termios.FIONREAD, bytes(_INT.size)))[0] > 0
        except OSError:  # a closed socket: that shows on the next read
            return False

    def _read(self, size: int, deadline: float | None) -> bytes:
        chunks, got = [], 0
        while got < size:
            if deadline is not None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ChannelTimeout("no answer before the deadline")
                self.sock.settimeout(left)
            else:
                self.sock.settimeout(None)
            try:
                chunk = self.sock.recv(min(size - got, 1 << 20))
            except TimeoutError as exc:
                raise ChannelTimeout("no answer before the deadline") from exc
            except OSError as exc:
                raise ChannelClosed(f"the channel broke ({exc})") from exc
            if not chunk:
                raise ChannelClosed("the other end closed the channel")
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def recv_raw(self, deadline: float | None = None) -> Any:
        size, tag = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if size > MAX_FRAME:
            raise ChannelClosed(f"a frame of {size} bytes is over the {MAX_FRAME}-byte limit")
        if self.asks and tag != self.tag:  # refused before a byte of its body is read
            raise ChannelBreach("a frame that answers nothing the judge asked (written before the judge's last "
                                "frame was read, or after its answer)")
        self.tag = None if self.asks else tag  # the judge takes one frame per frame it sent
        try:
            return json.loads(self._read(size, deadline))
        except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, nested too deep, a number too long
            raise ChannelClosed("a frame that is not JSON the judge can read") from exc

    def recv(self, adapter: TypeAdapter[Any], deadline: float | None = None) -> Any:
        """The next frame, validated by `adapter`; a frame that doesn't validate closes the conversation."""
        raw = self.recv_raw(deadline)
        try:
            return adapter.validate_python(raw)
        except ValidationError as exc:
            raise ChannelClosed(f"a message that breaks the protocol: {exc.errors()[0]['msg']}") from exc
