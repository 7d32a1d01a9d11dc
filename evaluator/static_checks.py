"""Stage 1: static checks on a candidate's source, before any of it runs.

Each rule names the REWARD_HACKS.md row it stops and why. A rule that fires returns a `Finding`
with its reason code; the pipeline stops there with status `rejected` (or `build_error` for a
syntax error).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from evaluator.platforms.base import Platform
from evaluator.result import Reason


@dataclass(frozen=True)
class Finding:
    reason: Reason
    message: str


# Row 12: these modules let code walk frames and the heap to find the reference output.
INTROSPECTION_MODULES = {"inspect", "gc", "traceback", "tracemalloc", "dis"}
# Row 11 and 15: clocks, processes, sockets, files, native loaders, and the harness itself.
BANNED_MODULES = {
    "os", "sys", "subprocess", "socket", "ssl", "http", "urllib", "requests", "ctypes", "cffi",
    "multiprocessing", "threading", "_thread", "concurrent", "asyncio", "signal", "time", "timeit",
    "importlib", "builtins", "pickle", "marshal", "shutil", "pathlib", "tempfile", "io", "mmap",
    "resource", "pty", "fcntl", "atexit", "weakref", "code", "codeop", "runpy", "types",
    "evaluator", "tasks", "db", "agent", "rl", "kernelwright",
}
# Row 12 and 15: dynamic code and namespace access hide every other rule from this checker.
BANNED_CALLS = {"eval", "exec", "compile", "__import__", "open", "globals", "locals", "vars",
                "breakpoint", "input", "setattr", "delattr", "memoryview"}
# Row 12: frame, closure and class-graph attributes reach the harness's objects.
INTROSPECTION_ATTRS = {"f_back", "f_locals", "f_globals", "f_code", "gi_frame", "cr_frame", "tb_frame",
                       "tb_next", "__globals__", "__closure__", "__code__", "__subclasses__",
                       "__builtins__", "__dict__", "__mro__", "__bases__", "_getframe", "__reduce__"}
# Row 11: the timer and sync functions the harness relies on.
TIMER_NAMES = {"perf_counter", "perf_counter_ns", "time", "monotonic", "monotonic_ns", "process_time",
               "synchronize", "Event", "elapsed_time", "record", "set_num_threads", "get_num_threads"}
# Row 1: catching these around a kernel call is how a fallback to PyTorch hides a broken kernel.
BROAD_EXCEPTIONS = {"Exception", "BaseException", "RuntimeError", "TypeError", "ValueError",
                    "NotImplementedError", "ImportError", "OSError", "AttributeError"}
# Rows 2 and 15: native code that spawns, connects, reads secrets or escapes its directory.
UNSAFE_NATIVE = [
    (r"\b(fork|vfork|clone|execv|execve|execvp|execl|execlp|posix_spawn|system|popen)\s*\(", "spawns processes"),
    (r"\b(socket|connect|bind|listen|accept|getaddrinfo)\s*\(", "opens network sockets"),
    (r"#\s*include\s*<(sys/socket\.h|netinet/|arpa/|netdb\.h|sys/ptrace\.h|dlfcn\.h|spawn\.h)",
     "includes system networking/process headers"),
    (r"\b(std::thread|pthread_create|std::async|std::jthread)\b", "starts background threads"),
    (r"\b(fopen|freopen|ofstream|fstream|creat|open|openat|unlink|mkdir)\s*[(<]",
     "touches the file system"),
    (r"\b(getenv|secure_getenv|environ)\b", "reads the environment"),
    (r"\b(dlopen|dlsym|syscall|ptrace|mprotect|kill|raise)\s*\(", "uses raw system calls"),
    (r"\b(asm|__asm__)\b", "contains inline assembly"),
    # The thread count is pinned equal for baseline and candidate; a kernel may not raise its own.
    (r"\b(omp_set_num_threads|num_threads|set_num_threads)\s*\(", "changes the pinned thread count"),
    (r"\bPy(Eval|Frame|Run|Import|Sys)_\w+", "calls the Python interpreter's internals"),
]


def _module_root(name: str | None) -> str:
    return (name or "").split(".")[0]


def _strings(tree: ast.Module) -> list[str]:
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _is_broad(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    return bool(_names_in(handler.type) & BROAD_EXCEPTIONS)


def _assigned_attr_chain(target: ast.expr) -> str:
    parts: list[str] = []
    while isinstance(target, ast.Attribute):
        parts.append(target.attr)
        target = target.value
    if isinstance(target, ast.Name):
        parts.append(target.id)
    return ".".join(reversed(parts))


def _model_new(tree: ast.Module) -> ast.ClassDef | ast.Assign | None:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "ModelNew":
            return node
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "ModelNew" for t in node.targets):
            return node
    return None


def check_source(source: str, platform: Platform, allow_torch: bool = False) -> Finding | None:
    """Run every static rule; the first that fires is returned, or None when the source is clean."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        return Finding(Reason.syntax_error, f"syntax error at line {exc.lineno}: {exc.msg}")
    model_new = _model_new(tree)
    if model_new is None:
        return Finding(Reason.no_model_new, "the candidate must define `class ModelNew(nn.Module)`")
    strings = _strings(tree)
    # Row 1: a candidate on the kernel track must build a kernel for its platform.
    if not allow_torch and not platform.has_kernel(tree, strings):
        return Finding(Reason.no_kernel, f"no custom kernel: a `{platform.name}` candidate must build one with "
                       f"{platform.kernel_language} (calling PyTorch is only allowed with --allow-torch)")
    for rule in (_imports, _calls_and_attrs, _timer_patches, _native_code):
        found = rule(tree, strings)
        if found:
            return found
    if not allow_torch:
        for rule in (_reference_use, _except_fallback):
            found = rule(tree, model_new)
            if found:
                return found
    return None


def _imports(tree: ast.Module, _strings: list[str]) -> Finding | None:
    for node in ast.walk(tree):
        roots: list[str] = []
        if isinstance(node, ast.Import):
            roots = [_module_root(a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            roots = [_module_root(node.module)] if node.level == 0 else ["<relative import>"]
        for root in roots:
            if root in INTROSPECTION_MODULES:
                return Finding(Reason.harness_introspection, f"line {node.lineno}: importing `{root}` is not allowed "
                               "(it can read the harness's frames and objects)")
            if root in BANNED_MODULES or root == "<relative import>":
                return Finding(Reason.banned_import, f"line {node.lineno}: importing `{root}` is not allowed in a "
                               "candidate (processes, files, clocks, sockets and the harness are off limits)")
    return None


def _calls_and_attrs(tree: ast.Module, _strings: list[str]) -> Finding | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in BANNED_CALLS:
            return Finding(Reason.banned_call, f"line {node.lineno}: calling `{node.func.id}()` is not allowed in a "
                           "candidate (dynamic code, file and namespace access)")
        if isinstance(node, ast.Attribute) and node.attr in INTROSPECTION_ATTRS:
            return Finding(Reason.harness_introspection, f"line {node.lineno}: `.{node.attr}` reaches into frames or "
                           "interpreter internals")
        if isinstance(node, ast.Name) and node.id in INTROSPECTION_ATTRS:
            return Finding(Reason.harness_introspection,
                           f"line {node.lineno}: `{node.id}` reaches interpreter internals")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in INTROSPECTION_ATTRS:
            return Finding(Reason.harness_introspection, f"line {node.lineno}: the string {node.value!r} names "
                           "interpreter internals")
    return None


def _timer_patches(tree: ast.Module, _strings: list[str]) -> Finding | None:
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for target in targets:
            chain = _assigned_attr_chain(target)
            # Row 11: rebinding any torch attribute (timers, sync, thread count, ops) changes what we measure.
            if isinstance(target, ast.Attribute) and (chain.startswith(("torch.", "time.", "np.", "numpy."))
                                                       or target.attr in TIMER_NAMES):
                return Finding(Reason.timer_patch, f"line {node.lineno}: assigning to `{chain}` patches the "
                               "harness's timer, sync or torch itself")
    return None


def _native_code(_tree: ast.Module, strings: list[str]) -> Finding | None:
    for text in strings:
        if "\n" not in text and len(text) < 40:
            continue  # short one-line strings are names and flags, not C++ sources
        code = re.sub(r"//[^\n]*|/\*.*?\*/", "", text, flags=re.S)
        for pattern, what in UNSAFE_NATIVE:
            match = re.search(pattern, code)
            if match:
                return Finding(Reason.unsafe_native_code, f"the kernel source {what} (`{match.group(0).strip()}`); "
                               "kernels compute, they do not touch the system")
    return None


def _reference_use(tree: ast.Module, model_new: ast.ClassDef | ast.Assign) -> Finding | None:
    # Row 1: inheriting from or calling the reference is running PyTorch with extra steps.
    if isinstance(model_new, ast.Assign):
        if "Model" in _names_in(model_new.value):
            return Finding(Reason.reference_use, "ModelNew is the reference Model: no custom kernel")
        return None
    if any("Model" in _names_in(base) for base in model_new.bases):
        return Finding(Reason.reference_use, "ModelNew inherits from the reference Model")
    if "Model" in _names_in(model_new):
        return Finding(Reason.reference_use, "ModelNew uses the reference Model")
    return None


def _except_fallback(tree: ast.Module, _model_new: object) -> Finding | None:
    # Row 1: `try: kernel() except: torch_op()` turns a broken kernel into a PyTorch result.
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                if _is_broad(handler):
                    return Finding(Reason.except_fallback, f"line {handler.lineno}: a broad `except` can hide a "
                                   "failing kernel behind a PyTorch fallback; let errors propagate")
    return None
