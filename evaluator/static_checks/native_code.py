"""Static rules on native code: the C++ and CUDA sources a candidate carries as strings, and the exact source the
builder compiles (which Python string tricks cannot hide).
"""

from __future__ import annotations

import ast
import re

from kernelwright.evaluator.result import Reason
from kernelwright.evaluator.static_checks.finding import Finding

# Rows 2 and 15: native code that spawns, connects, reads secrets or escapes its directory.
UNSAFE_NATIVE = [
    # Bare names, not only calls: `auto f = &fork; f();` spawns too. `x.clone()` and `at::clone` copy a tensor.
    (r"(?<![.>\w])(?<!at::)(?<!torch::)(fork|vfork|clone|execv\w*|execl\w*|posix_spawn\w*|popen|system)\b",
     "spawns processes"),
    (r"\b(socket|connect|bind|listen|accept|getaddrinfo)\s*\(", "opens network sockets"),
    (r"#\s*include\s*<(sys/socket\.h|netinet/|arpa/|netdb\.h|sys/ptrace\.h|dlfcn\.h|spawn\.h)",
     "includes system networking/process headers"),
    (r"\b(std::thread|pthread_create|std::async|std::jthread|at::launch|intraop_launch\w*|\w*ThreadPool)\b",
     "starts background threads"),
    (r"\b(fopen|freopen|ofstream|fstream|creat|open|openat|unlink|mkdir)\s*[(<]",
     "touches the file system"),
    (r"\b(getenv|secure_getenv|environ)\b", "reads the environment"),
    (r"\b(dlopen|dlsym|syscall|ptrace|mprotect|kill|raise)\s*\(", "uses raw system calls"),
    (r"\b(asm|__asm__)\b", "contains inline assembly"),
    # The thread count is pinned equal for baseline and candidate; a kernel may not raise its own.
    (r"\b(omp_set_num_threads|num_threads|set_num_threads)\s*\(", "changes the pinned thread count"),
    # The C API and pybind11's `module_::import`, `exec`, `attr` reach every Python object the static rules
    # keep the Python side away from (`os`, `sys.modules`, the harness).
    (r"\bPy[A-Z][A-Za-z]*_\w+|\b(import|exec|eval|eval_file|globals|locals|getattr|setattr|delattr|hasattr|attr)"
     r"\s*[(<]", "calls into the Python interpreter"),
    # Row 1: these reach PyTorch's kernels around the dispatcher, so the dispatch recorder can't see the
    # compute (`at::cpu::relu`, `at::native::`, a guard that excludes the Python dispatch key).
    (r"\bat::(native|cpu|_ops|meta|compositeexplicitautograd\w*|compositeimplicitautograd\w*)::|\bredispatch\b"
     r"|#\s*include\s*[<\"]ATen/(native/|ops/|core/dispatch/|(CPU|Native|Meta|Composite\w*)Functions)",
     "calls PyTorch's operator kernels directly, around the dispatcher"),
    (r"\b\w*(DispatchKey|DispatchMode|ThreadLocalState)\w*|\bc10::impl::", "changes PyTorch's dispatch state"),
    # Row 6: a kernel registered for an aten operator replaces what the reference computes.
    (r"\b(TORCH_LIBRARY\w*|RegisterOperators|Dispatcher)\b", "registers operator kernels"),
    # Row 15: `#include </proc/PID/environ>` prints a file (an API key) into the compile log.
    (r"#\s*(include|include_next|import)\s*([<\"]\s*/|[<\"][^>\"\n]*\.\.|[^<\"\s])|#\s*embed\b",
     "includes a file by path (kernels include only library headers)"),
]


# Row 2: streams of the kernel's own, or switching torch's current stream, take work off the timed stream.
NATIVE_SIDE_STREAM = re.compile(r"\bcuda(StreamCreate\w*|StreamBeginCapture\w*|LaunchHostFunc|StreamAddCallback)\b"
                                r"|\bgetStreamFromPool\b|\bsetCurrentCUDAStream\b")


# The judge screens sources it is asked to build; a pattern can backtrack over a whole line, so lines are bounded
# to keep the screen linear in the source's size (no real kernel has a line this long).
MAX_LINE = 4096


def _without_comments(text: str) -> str:
    """`text` with line continuations joined (as the preprocessor does) and comments removed, in one pass."""
    text = text.replace("\\\n", "")
    out: list[str] = []
    i = 0
    while True:
        line, block = text.find("//", i), text.find("/*", i)
        starts = [p for p in (line, block) if p != -1]
        if not starts:
            out.append(text[i:])
            return "".join(out)
        start = min(starts)
        out.append(text[i:start])
        if start == line:
            end = text.find("\n", start)
            i = len(text) if end == -1 else end
        else:
            end = text.find("*/", start + 2)
            i = len(text) if end == -1 else end + 2
            out.append(" ")


def native_code_finding(text: str) -> Finding | None:
    """The first unsafe-native-code rule that fires on one C++ or CUDA source, or None.

    Also run by the builder on the exact source it compiles, which Python string tricks can't hide.
    """
    code = _without_comments(text)
    if any(len(line) > MAX_LINE for line in code.split("\n")):
        return Finding(Reason.unsafe_native_code, f"the kernel source has a line of more than {MAX_LINE} characters; "
                       "kernels are written for people to read")
    stream = NATIVE_SIDE_STREAM.search(code)
    if stream:
        return Finding(Reason.side_stream, f"the kernel source launches work on a CUDA stream of its own "
                       f"(`{stream.group(0)}`); launch on c10::cuda::getCurrentCUDAStream(), the stream the harness "
                       "times")
    for pattern, what in UNSAFE_NATIVE:
        match = re.search(pattern, code)
        if match:
            return Finding(Reason.unsafe_native_code, f"the kernel source {what} (`{match.group(0).strip()}`); "
                           "kernels compute, they do not touch the system")
    return None


def native_code_strings(_tree: ast.Module, strings: list[str]) -> Finding | None:
    """Rows 2 and 15: `native_code_finding` on every string long enough to be a C++ or CUDA source."""
    for text in strings:
        if "\n" not in text and len(text) < 40:
            continue  # short one-line strings are names and flags, not C++ sources
        found = native_code_finding(text)
        if found:
            return found
    return None
