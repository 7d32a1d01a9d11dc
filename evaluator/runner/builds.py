"""The candidate's `load_inline`, as the runner provides it: a build request to the judge, then an import.

No compiler runs in the runner. The request is plain data (sources, function names, flags); the judge screens
it, compiles it in a build jail that holds nothing but the sources and the toolchain, and stores the module in
the build cache, which the runner sees read-only. So the binary a cache key names is always what the compiler
made of exactly those sources: no candidate can plant a module for another's key.

Builds are asked for only while the candidate's module loads and ModelNew is constructed: the judge ends an
evaluation that sends a build request at any other time, so a later `load_inline` fails here with a verdict that
says where to build instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kernelwright.evaluator.build.errors import BuildError, UnsafeSourceError
from kernelwright.evaluator.build.loaded import BuildStats, CompileCheckedModule, KernelModule, import_extension
from kernelwright.evaluator.result import Reason, Status
from kernelwright.evaluator.runner.failures import RunnerFailure
from kernelwright.evaluator.runner.protocol import JUDGE_MESSAGE, BuildRequest, Built, Channel, ChannelClosed


def plain(value: Any) -> Any:
    """`value` rebuilt from builtin str/int/float/bool/None/list/dict only (candidate subclasses dropped)."""
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, str):
        return str.__str__(str(value))
    if isinstance(value, (int, float)):
        return float(value) if isinstance(value, float) else int(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    raise TypeError(f"load_inline arguments must be strings, numbers, lists or dicts, not {type(value).__name__}")


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else [str(v) for v in value]


class RemoteBuilder:
    """`torch.utils.cpp_extension.load_inline`'s stand-in inside a runner."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel
        self.stats = BuildStats()
        self.closed = False  # set once ModelNew is constructed

    def close(self) -> None:
        """No more builds: the candidate is loaded."""
        self.closed = True

    def load_inline(self, name: Any, cpp_sources: Any, cuda_sources: Any = None, functions: Any = None,
                    extra_cflags: Any = None, extra_cuda_cflags: Any = None, extra_ldflags: Any = None,
                    extra_include_paths: Any = None, build_directory: Any = None, verbose: Any = False,
                    with_cuda: Any = None, **_ignored: Any) -> KernelModule | CompileCheckedModule:
        """Same signature as torch's; the arguments are copied into plain builtins before anything reads them."""
        del build_directory, verbose  # the judge owns where builds go and what they print
        if self.closed:
            raise RunnerFailure(Status.build_error, Reason.kernel_not_built, "load_inline was called after ModelNew "
                                "was constructed; kernels are built while the module loads or in ModelNew.__init__ "
                                "(build them at module level or in __init__)")
        funcs = plain(functions)
        request = BuildRequest(
            name=str(plain(name)), cpp_sources=_strings(plain(cpp_sources)), cuda_sources=_strings(plain(cuda_sources)),
            functions=[funcs] if isinstance(funcs, str) else funcs, extra_cflags=_strings(plain(extra_cflags)),
            extra_cuda_cflags=_strings(plain(extra_cuda_cflags)), extra_ldflags=_strings(plain(extra_ldflags)),
            extra_include_paths=_strings(plain(extra_include_paths)),
            with_cuda=None if with_cuda is None else bool(plain(with_cuda)))
        self.channel.send(request)
        try:
            answer = self.channel.recv(JUDGE_MESSAGE)
        except ChannelClosed as exc:
            raise BuildError(f"the judge did not answer the build request ({exc})") from exc
        if not isinstance(answer, Built):
            raise BuildError("the judge answered a build request with something else")
        if answer.failure is not None:
            if answer.failure.reason is Reason.unsafe_native_code:
                raise UnsafeSourceError(answer.failure.message)
            raise BuildError(answer.failure.message, answer.failure.log)
        self.stats.loaded += 1
        if answer.compiled_only:
            return CompileCheckedModule(request.name)
        return KernelModule(import_extension(Path(answer.path)), self.stats)

    @property
    def kernel_calls(self) -> int:
        return sum(self.stats.calls.values())
