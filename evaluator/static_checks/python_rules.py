"""Static rules on a candidate's Python: imports, calls and attributes, monkey-patching, compute outside the kernel,
use of the reference and fallbacks to it. Each rule takes the parsed module and returns the first `Finding`.
"""

from __future__ import annotations

import ast

from kernelwright.evaluator.platforms.base import dotted_name
from kernelwright.evaluator.result import Reason
from kernelwright.evaluator.static_checks.finding import Finding

# Row 12: these modules let code walk frames and the heap to find the reference output.
INTROSPECTION_MODULES = {"inspect", "gc", "traceback", "tracemalloc", "dis"}
# Row 11 and 15: clocks, processes, sockets, files, native loaders, and the harness itself.
BANNED_MODULES = {
    "os", "sys", "subprocess", "socket", "ssl", "http", "urllib", "requests", "ctypes", "cffi",
    "multiprocessing", "threading", "_thread", "concurrent", "asyncio", "signal", "time", "timeit",
    "importlib", "builtins", "pickle", "marshal", "shutil", "pathlib", "tempfile", "io", "mmap",
    "resource", "pty", "fcntl", "atexit", "weakref", "code", "codeop", "runpy", "types",
    "evaluator", "tasks", "db", "agent", "rl", "kernelwright",
    "posix", "nt", "selectors", "socketserver", "faulthandler", "pkgutil", "zipimport", "site",
}
# Row 12 and 15: dynamic code and namespace access hide every other rule from this checker.
BANNED_CALLS = {"eval", "exec", "compile", "__import__", "open", "globals", "locals", "vars",
                "breakpoint", "input", "setattr", "delattr", "memoryview"}
# Row 12: frame, closure and class-graph attributes reach the harness's objects.
INTROSPECTION_ATTRS = {"f_back", "f_locals", "f_globals", "f_code", "gi_frame", "cr_frame", "tb_frame",
                       "tb_next", "__globals__", "__closure__", "__code__", "__subclasses__",
                       "__builtins__", "__dict__", "__mro__", "__bases__", "_getframe", "__reduce__",
                       # attribute access by name would hide every attribute rule below
                       "__getattribute__", "__getattr__", "__setattr__", "__delattr__", "attrgetter",
                       "methodcaller"}
# Rows 12 and 15: a banned module is still reachable as an attribute of an allowed one (`torch.sys`,
# `torch.os`), and `torch.sys.modules` leads to the harness's own functions (e.g. its output comparison).
MODULE_ATTRS = BANNED_MODULES | INTROSPECTION_MODULES
# Rows 6 and 15: torch APIs that read/write any file without the sandbox seeing it (`from_file`), or that
# register kernels for the operators the reference uses (`torch.library`, `load_library`).
BANNED_ATTRS = {"from_file", "library", "load_library"}
# Rows 6 and 11: torch's process-wide settings are shared with the reference and the timer. Thread
# controls are row 11 (`timer_patch`); the rest change what or how fast the reference computes.
THREAD_CALLS = {"set_num_threads", "set_num_interop_threads"}
TORCH_GLOBAL_CALLS = {
    "set_default_dtype", "set_default_device", "set_default_tensor_type", "set_flush_denormal",
    "use_deterministic_algorithms", "set_float32_matmul_precision", "register_module_forward_hook",
    "register_module_forward_pre_hook", "register_module_full_backward_hook", "register_module_backward_hook",
    "register_module_full_backward_pre_hook", "register_module_buffer_registration_hook",
    "register_module_module_registration_hook", "register_module_parameter_registration_hook",
}
# Row 1: on the kernel track, array libraries are PyTorch by another name: they compute outside the kernel
# and outside the dispatch recorder.
ARRAY_MODULES = {"numpy", "scipy", "numba", "jax", "jaxlib", "cupy", "tensorflow", "pandas"}
ARRAY_ATTRS = {"numpy", "from_numpy", "__array__", "__array_interface__", "__array_struct__"}
# Row 11: the timer and sync functions the harness relies on.
TIMER_NAMES = {"perf_counter", "perf_counter_ns", "time", "monotonic", "monotonic_ns", "process_time",
               "synchronize", "Event", "elapsed_time", "record", "set_num_threads", "get_num_threads"}
# Row 2: the GPU timer follows the current stream; work on a stream of the candidate's own is work it could
# leave running past the end of a timed call (the device-wide sync catches it; this rule says why up front).
STREAM_ATTRS = {"Stream", "ExternalStream", "stream", "set_stream", "StreamContext"}
# Row 15: Triton runs these Python functions while it compiles a kernel, which is the harness's own build
# step (processes and cache writes allowed): candidate code must not run there.
COMPILE_TIME_PYTHON = {"constexpr_function"}
# Row 1: catching these around a kernel call is how a fallback to PyTorch hides a broken kernel.
BROAD_EXCEPTIONS = {"Exception", "BaseException", "RuntimeError", "TypeError", "ValueError",
                    "NotImplementedError", "ImportError", "OSError", "AttributeError"}


def _module_root(name: str | None) -> str:
    return (name or "").split(".")[0]


def strings_in(tree: ast.Module) -> list[str]:
    """Every string constant in the module (where native sources hide)."""
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _is_broad(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    return bool(_names_in(handler.type) & BROAD_EXCEPTIONS)


def model_new_node(tree: ast.Module) -> ast.ClassDef | ast.Assign | None:
    """The top-level `ModelNew` class or assignment, or None."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "ModelNew":
            return node
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "ModelNew" for t in node.targets):
            return node
    return None


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _attr_name_finding(name: str, lineno: int, how: str) -> Finding | None:
    """Rules on an attribute name, however it is reached (`x.name`, `getattr(x, "name")`, an import)."""
    if name in INTROSPECTION_ATTRS:
        return Finding(Reason.harness_introspection, f"line {lineno}: {how} `{name}` reaches into frames or "
                       "interpreter internals")
    if name in MODULE_ATTRS:
        return Finding(Reason.banned_import, f"line {lineno}: {how} `{name}` reaches the `{name}` module through "
                       "another module (processes, files, clocks, sockets and the harness are off limits)")
    if _is_private(name):
        return Finding(Reason.harness_introspection, f"line {lineno}: {how} `{name}` is a private internal "
                       "(dispatch guards, the harness's kernel wrapper); use public APIs")
    if name in STREAM_ATTRS:
        return Finding(Reason.side_stream, f"line {lineno}: {how} `{name}` puts work on another CUDA stream; "
                       "launch on the current stream, which is the one the harness times")
    if name in COMPILE_TIME_PYTHON:
        return Finding(Reason.banned_call, f"line {lineno}: {how} `{name}` runs Python while the kernel compiles, "
                       "outside the sandbox's checks; compute constants in the kernel or in forward")
    if name in BANNED_ATTRS:
        return Finding(Reason.banned_call, f"line {lineno}: {how} `{name}` is not allowed (it reaches files or "
                       "registers kernels for the reference's operators)")
    return None


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


def imports(tree: ast.Module, _strings: list[str]) -> Finding | None:
    """Rows 11, 12 and 15: imports of banned, introspection or private modules, and of names the attribute rules ban."""
    for node in ast.walk(tree):
        roots: list[str] = []
        parts: list[str] = []
        if isinstance(node, ast.Import):
            roots = [_module_root(a.name) for a in node.names]
            parts = [p for a in node.names for p in a.name.split(".")[1:]]
        elif isinstance(node, ast.ImportFrom):
            roots = [_module_root(node.module)] if node.level == 0 else ["<relative import>"]
            parts = [*(node.module or "").split(".")[1:], *(a.name for a in node.names)]
        else:
            continue
        for root in roots:
            if root in INTROSPECTION_MODULES:
                return Finding(Reason.harness_introspection, f"line {node.lineno}: importing `{root}` is not allowed "
                               "(it can read the harness's frames and objects)")
            # `_posixsubprocess`, `_socket`, `_io`: the C halves of banned modules, without their audit events.
            if root in BANNED_MODULES or root == "<relative import>" or _is_private(root):
                return Finding(Reason.banned_import, f"line {node.lineno}: importing `{root}` is not allowed in a "
                               "candidate (processes, files, clocks, sockets and the harness are off limits)")
        # `from torch.utils._python_dispatch import ...`, `from torch import library`: the same rules as
        # the attribute spelling of those names.
        for part in parts:
            found = _attr_name_finding(part, node.lineno, "importing")
            if found:
                return found
    return None


def calls_and_attrs(tree: ast.Module, _strings: list[str]) -> Finding | None:
    """Rows 6, 11, 12 and 15: banned calls, `getattr` by computed or banned name, torch's global settings, banned
    attributes and names."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in BANNED_CALLS:
            return Finding(Reason.banned_call, f"line {node.lineno}: calling `{node.func.id}()` is not allowed in a "
                           "candidate (dynamic code, file and namespace access)")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
            name = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                return Finding(Reason.banned_call, f"line {node.lineno}: `getattr()` with a computed name hides "
                               "which attribute is reached; write the attribute out")
            found = _attr_name_finding(name.value, node.lineno, "getattr of")
            if found:
                return found
        if isinstance(node, ast.Call):
            called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if called in THREAD_CALLS:
                return Finding(Reason.timer_patch, f"line {node.lineno}: calling `{called}()` changes the pinned "
                               "thread count (baseline and candidate get the same threads)")
            if called in TORCH_GLOBAL_CALLS:
                return Finding(Reason.harness_tamper, f"line {node.lineno}: calling `{called}()` changes torch's "
                               "process-wide state, which the reference shares")
        if isinstance(node, ast.Attribute) and not (_is_self(node.value) and not node.attr.startswith("__")):
            found = _attr_name_finding(node.attr, node.lineno, "the attribute")
            if found:
                return found
        if isinstance(node, ast.Name) and node.id in INTROSPECTION_ATTRS:
            return Finding(Reason.harness_introspection,
                           f"line {node.lineno}: `{node.id}` reaches interpreter internals")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in INTROSPECTION_ATTRS:
            return Finding(Reason.harness_introspection, f"line {node.lineno}: the string {node.value!r} names "
                           "interpreter internals")
    return None


def _attribute_targets(node: ast.AST) -> list[ast.expr]:
    """Every expression `node` assigns to or deletes, with tuples and starred targets unpacked."""
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor, ast.comprehension)):
        targets = [node.target]
    elif isinstance(node, ast.Delete):
        targets = list(node.targets)
    elif isinstance(node, (ast.With, ast.AsyncWith)):
        targets = [i.optional_vars for i in node.items if i.optional_vars is not None]
    else:
        return []
    flat: list[ast.expr] = []
    while targets:
        target = targets.pop()
        if isinstance(target, (ast.Tuple, ast.List)):
            targets.extend(target.elts)
        elif isinstance(target, ast.Starred):
            targets.append(target.value)
        else:
            flat.append(target)
    return flat


def timer_patches(tree: ast.Module, _strings: list[str]) -> Finding | None:
    """Rows 6 and 11: assignments to attributes of anything but `self` (timers, torch, other objects)."""
    for node in ast.walk(tree):
        for target in _attribute_targets(node):
            if not isinstance(target, ast.Attribute):
                continue
            chain = dotted_name(target)
            # Every node that assigns is a statement, except a comprehension's `for` clause, which has no line.
            lineno = node.lineno if isinstance(node, ast.stmt) else target.lineno
            # Row 11: rebinding any torch attribute (timers, sync, thread count, ops) changes what we measure.
            if chain.startswith(("torch.", "time.", "np.", "numpy.")) or target.attr in TIMER_NAMES:
                return Finding(Reason.timer_patch, f"line {lineno}: assigning to `{chain}` patches the "
                               "harness's timer, sync or torch itself")
            # Rows 6 and 11: a candidate sets attributes of its own module (`self.x = ...`) and nothing else;
            # `t = torch; t.relu = f` or `x.__class__.add = f` would change what the reference computes.
            root: ast.expr = target
            while isinstance(root, ast.Attribute):
                root = root.value
            if not _is_self(root) or "__" in chain:
                return Finding(Reason.harness_tamper, f"line {lineno}: assigning to `{chain or target.attr}` "
                               "monkey-patches an object the candidate does not own; set attributes on `self` "
                               "only")
    return None


def array_compute(tree: ast.Module, banned: set[str]) -> Finding | None:
    """Row 1: an import of an array library in `banned` (those the platform doesn't allow) or a tensor's way out
    to NumPy."""
    for node in ast.walk(tree):
        if not isinstance(node, (ast.Import, ast.ImportFrom, ast.Attribute)):
            continue  # the only nodes the rule below can fire on
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [_module_root(a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [_module_root(node.module)]
        if any(n in banned for n in names) or (isinstance(node, ast.Attribute) and node.attr in ARRAY_ATTRS):
            what = next((n for n in names if n in banned), getattr(node, "attr", ""))
            return Finding(Reason.banned_import, f"line {node.lineno}: `{what}` computes outside the kernel, where "
                           "no check sees it; on the kernel track the kernel does the work (or use --allow-torch)")
    return None


def reference_use(tree: ast.Module, model_new: ast.ClassDef | ast.Assign) -> Finding | None:
    """Row 1: `ModelNew` that is, inherits from or calls the reference `Model`."""
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


def except_fallback(tree: ast.Module, _model_new: object) -> Finding | None:
    """Row 1: a broad `except`, behind which a failing kernel falls back to PyTorch."""
    # Row 1: `try: kernel() except: torch_op()` turns a broken kernel into a PyTorch result.
    for node in ast.walk(tree):
        if isinstance(node, ast.Try):
            for handler in node.handlers:
                if _is_broad(handler):
                    return Finding(Reason.except_fallback, f"line {handler.lineno}: a broad `except` can hide a "
                                   "failing kernel behind a PyTorch fallback; let errors propagate")
    return None
