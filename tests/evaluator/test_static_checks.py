"""Static checks: every rule fires on a minimal snippet with its reason code, and none fires on real solutions.

Fast unit tests: no runner, no compiler (the builder tests stop before compiling).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from kernelwright.evaluator.build.cpp import CppBuilder
from kernelwright.evaluator.build.errors import UnsafeSourceError
from kernelwright.evaluator.build.job import run_plain
from kernelwright.evaluator.platforms import get_platform
from kernelwright.evaluator.result import Reason
from kernelwright.evaluator.runner.protocol import BuildRequest
from kernelwright.evaluator.static_checks import check_source
from kernelwright.evaluator.static_checks.native_code import native_code_finding

ROOT = Path(__file__).resolve().parents[2]
RELU_SOLUTION = ROOT / "tasks" / "suite" / "activation" / "solutions" / "relu.cpu.py"
SOLUTIONS = sorted((ROOT / "tasks" / "suite").glob("*/solutions/*.cpu.py"))
CPU = get_platform("cpu")

GOOD_CPP = '''
#include <torch/extension.h>

torch::Tensor k(torch::Tensor x) {
    auto y = x.clone();
    return y;
}
'''


def candidate(top: str = "", forward: str = "return ext.k(x)", cpp: str = GOOD_CPP, imports: str = "",
              init: str = "") -> str:
    """A minimal, clean candidate with one thing (`top`, `forward`, `cpp`, `imports`, `init`) changed."""
    return textwrap.dedent('''\
        {imports}
        import torch
        import torch.nn as nn
        from torch.utils.cpp_extension import load_inline

        CPP = r"""{cpp}"""
        ext = load_inline(name="k", cpp_sources=CPP, functions=["k"])
        {top}


        class ModelNew(nn.Module):
            def __init__(self):
                super().__init__()
                {init}

            def forward(self, x):
                {forward}
        ''').format(imports=imports, cpp=cpp, top=top, init=init or "pass", forward=forward)


def reason_of(source: str, allow_torch: bool = False) -> Reason | None:
    finding = check_source(source, CPU, allow_torch=allow_torch)
    if finding is not None:
        assert finding.message and " " in finding.message, f"unreadable message: {finding.message!r}"
    return finding.reason if finding else None


# --- nothing fires on real solutions ----------------------------------------------------------------


def test_clean_candidate_passes() -> None:
    assert reason_of(candidate()) is None


def test_relu_solution_passes() -> None:
    assert check_source(RELU_SOLUTION.read_text(), CPU) is None


@pytest.mark.parametrize("path", SOLUTIONS, ids=[f"{p.parent.parent.name}/{p.name}" for p in SOLUTIONS])
def test_every_suite_solution_passes(path: Path) -> None:
    assert check_source(path.read_text(), CPU) is None


def test_attributes_on_self_are_allowed() -> None:
    init = "self.scale = 2.0\n        self._cache = {}\n        self.weight = nn.Parameter(torch.ones(3))"
    source = candidate(init=init, forward="self._cache[0] = x\n        return ext.k(x)")
    assert reason_of(source) is None


def test_tensor_and_module_methods_named_like_modules_are_allowed() -> None:
    """`x.select(...)` and `net.modules()` share names with modules, not their danger."""
    source = candidate(init="self.net = nn.Sequential(nn.ReLU())",
                       forward="count = len(list(self.net.modules()))\n        return ext.k(x.select(0, 0) * count)")
    assert reason_of(source) is None


def test_narrow_except_is_allowed() -> None:
    source = candidate(forward="try:\n            return ext.k(x)\n        except KeyError:\n            raise")
    assert reason_of(source) is None


# --- one snippet per rule ---------------------------------------------------------------------------

CASES: list[tuple[str, str, Reason]] = [
    ("syntax", "def broken(:\n", Reason.syntax_error),
    ("no_model_new", "import torch\nclass Model(torch.nn.Module):\n    pass\n", Reason.no_model_new),
    ("no_kernel", "import torch.nn as nn\nclass ModelNew(nn.Module):\n    def forward(self, x):\n"
                  "        return x.relu()\n", Reason.no_kernel),
    # row 15 / 11 / 2: banned modules, however they are reached
    ("import_os", candidate(imports="import os"), Reason.banned_import),
    ("import_time", candidate(imports="import time"), Reason.banned_import),
    ("import_threading", candidate(imports="from threading import Thread"), Reason.banned_import),
    ("import_private_module", candidate(imports="import _posixsubprocess"), Reason.banned_import),
    ("import_posix", candidate(imports="import posix"), Reason.banned_import),
    ("relative_import", candidate(imports="from . import helper"), Reason.banned_import),
    ("sys_through_torch", candidate(top="mods = torch.sys"), Reason.banned_import),
    ("os_through_torch", candidate(top="pid = torch.os.getpid()"), Reason.banned_import),
    ("sys_through_cpp_extension", candidate(top="mods = torch.utils.cpp_extension.sys"),
     Reason.banned_import),
    # row 1: array libraries on the kernel track
    ("numpy_import", candidate(imports="import numpy as np"), Reason.banned_import),
    ("numpy_method", candidate(forward="return torch.as_tensor(x.numpy().clip(0))"), Reason.banned_import),
    # row 12: introspection
    ("import_gc", candidate(imports="import gc"), Reason.harness_introspection),
    ("import_inspect", candidate(imports="from inspect import stack"), Reason.harness_introspection),
    ("f_back", candidate(forward="return x.f_back"), Reason.harness_introspection),
    ("globals_attr", candidate(forward="return self.forward.__globals__"), Reason.harness_introspection),
    ("getframe", candidate(forward="return torch._getframe(0)"), Reason.harness_introspection),
    ("dunder_string", candidate(forward="return '__globals__'"), Reason.harness_introspection),
    ("getattr_dunder", candidate(forward="return getattr(x, '__dict__')"), Reason.harness_introspection),
    ("getattribute", candidate(forward="return object.__getattribute__(torch, 'relu')"),
     Reason.harness_introspection),
    ("private_attr", candidate(forward="return torch._C._nn.relu(x)"), Reason.harness_introspection),
    ("private_import", candidate(imports="from torch.utils._python_dispatch import _disable_current_modes"),
     Reason.harness_introspection),
    ("private_kernel_wrapper", candidate(forward="return ext._module.k(x)"), Reason.harness_introspection),
    # dynamic code and files
    ("eval", candidate(forward="return eval('x')"), Reason.banned_call),
    ("open", candidate(top="open('/tmp/x', 'w')"), Reason.banned_call),
    ("computed_getattr", candidate(forward="return getattr(torch, 're' + 'lu')(x)"), Reason.banned_call),
    ("from_file", candidate(top="t = torch.from_file('/tmp/x', shared=True, size=4)"), Reason.banned_call),
    ("torch_library", candidate(top="lib = torch.library.Library('aten', 'IMPL')"), Reason.banned_call),
    ("import_torch_library", candidate(imports="from torch.library import Library"), Reason.banned_call),
    # row 11: timers, sync, threads
    ("patch_torch_attr", candidate(top="torch.cuda.synchronize = lambda: None"), Reason.timer_patch),
    ("patch_timer_name", candidate(top="clock = object()\nclock.perf_counter = None"), Reason.timer_patch),
    ("set_num_threads", candidate(top="torch.set_num_threads(4)"), Reason.timer_patch),
    ("set_interop_threads", candidate(forward="torch.set_num_interop_threads(4)\n        return ext.k(x)"),
     Reason.timer_patch),
    # rows 6 / 12: monkey-patching what the reference uses
    ("alias_patch", candidate(top="t = torch\nt.relu = ext.k"), Reason.harness_tamper),
    ("class_patch", candidate(forward="x.__class__.relu = ext.k\n        return ext.k(x)"), Reason.harness_tamper),
    ("self_dunder_patch", candidate(forward="self.__class__.forward = None\n        return ext.k(x)"),
     Reason.harness_tamper),
    ("delete_attr", candidate(top="f = torch.nn.functional\ndel f.relu"), Reason.harness_tamper),
    ("tuple_target", candidate(top="a, torch.relu = 1, ext.k"), Reason.timer_patch),
    # a comprehension's `for` clause assigns too (and, unlike a statement, has no line number of its own)
    ("comprehension_target", candidate(top="_ = [0 for torch.relu in [ext.k]]"), Reason.timer_patch),
    ("comprehension_alias", candidate(top="t = torch\n_ = [0 for t.relu in [ext.k]]"), Reason.harness_tamper),
    ("global_hook", candidate(top="torch.nn.modules.module.register_module_forward_hook(print)"),
     Reason.harness_tamper),
    ("default_dtype", candidate(top="torch.set_default_dtype(torch.float16)"), Reason.harness_tamper),
    # row 1: the reference and fallbacks
    ("model_alias", candidate(top="class Model(nn.Module):\n    pass\n\nModelNew = Model").replace(
        "class ModelNew(nn.Module):", "class Unused(nn.Module):"), Reason.reference_use),
    ("subclass_model", candidate(top="class Model(nn.Module):\n    pass").replace(
        "class ModelNew(nn.Module):", "class ModelNew(Model):"), Reason.reference_use),
    ("calls_model", candidate(top="class Model(nn.Module):\n    pass", forward="return Model()(x)"),
     Reason.reference_use),
    ("bare_except", candidate(forward="try:\n            return ext.k(x)\n        except:\n"
                                      "            return x.relu()"), Reason.except_fallback),
    ("broad_except_tuple", candidate(forward="try:\n            return ext.k(x)\n        except (KeyError, "
                                             "RuntimeError):\n            return x.relu()"), Reason.except_fallback),
    # native code (one per family; see also test_native_rules)
    ("cpp_system", candidate(cpp=GOOD_CPP + "\nstatic int r = std::system(\"ls\");\n"), Reason.unsafe_native_code),
]


@pytest.mark.parametrize(("source", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule_fires(source: str, reason: Reason) -> None:
    assert reason_of(source) is reason


def test_allow_torch_relaxes_only_the_kernel_track_rules() -> None:
    torch_only = ("import torch.nn as nn\nclass ModelNew(nn.Module):\n    def forward(self, x):\n"
                  "        return x.relu()\n")
    assert reason_of(torch_only, allow_torch=True) is None
    assert reason_of(candidate(imports="import numpy as np"), allow_torch=True) is None
    fallback = candidate(forward="try:\n            return ext.k(x)\n        except Exception:\n            return x")
    assert reason_of(fallback, allow_torch=True) is None
    # The sandbox and harness rules hold on both tracks.
    assert reason_of(candidate(imports="import os"), allow_torch=True) is Reason.banned_import
    assert reason_of(candidate(top="t = torch\nt.relu = ext.k"), allow_torch=True) is Reason.harness_tamper


# --- the C++ rules, directly ------------------------------------------------------------------------

NATIVE_BAD = {
    "fork_call": "pid_t p = fork();",
    "fork_pointer": "auto spawn = &fork; spawn();",
    "std_system": "std::system(\"ls\");",
    "popen": "FILE* f = popen(\"ls\", \"r\");",
    "socket": "int s = socket(AF_INET, SOCK_STREAM, 0);",
    "socket_header": "#include <sys/socket.h>",
    "std_thread": "std::thread t([]{});",
    "at_launch": "at::launch([]{});",
    "fopen": "FILE* f = fopen(\"/tmp/x\", \"w\");",
    "getenv": "const char* k = getenv(\"OPENAI_API_KEY\");",
    "syscall": "syscall(57);",
    "asm": "asm(\"nop\");",
    "omp_threads": "#pragma omp parallel for num_threads(8)",
    "python_c_api": "PyRun_SimpleString(\"import os\");",
    "pybind_import": "py::module_::import(\"os\").attr(\"system\")(\"ls\");",
    "at_cpu_direct": "return at::cpu::clamp_min(x, 0);",
    "at_native": "return at::native::relu(x);",
    "cpu_functions_header": "#include <ATen/CPUFunctions.h>",
    "redispatch": "return at::redispatch::relu(ks, x);",
    "dispatch_guard": "c10::impl::ExcludeDispatchKeyGuard g(c10::DispatchKey::Python);",
    "torch_library": "TORCH_LIBRARY_IMPL(aten, CPU, m) { m.impl(\"relu\", &mine); }",
    "include_absolute": "#include </proc/self/environ>",
    "include_parent": "#include \"../../etc/passwd\"",
    "include_computed": "#define SECRET </proc/1/environ>\n#include SECRET",
    "embed": "#embed \"/etc/passwd\"",
}
NATIVE_GOOD = {
    "tensor_clone": "auto y = x.clone(); auto z = p->clone(); auto w = at::clone(x);",
    "system_error_type": "throw std::system_error(std::error_code());",
    "library_headers": "#include <torch/extension.h>\n#include <ATen/Parallel.h>\n#include <cmath>",
    "pybind_module": "PYBIND11_MODULE(k, m) { m.def(\"k\", &k, \"k\"); }",
    "attribute_syntax": "__attribute__((always_inline)) inline float f(float v) { return v; }",
    "parallel_for": "at::parallel_for(0, n, 2048, [&](int64_t b, int64_t e) {});",
    "omp_simd": "#pragma omp parallel for simd schedule(static)",
    "commented_out": "// fork(); system(\"ls\");\n/* socket(1, 2, 3); */",
}


@pytest.mark.parametrize("code", NATIVE_BAD.values(), ids=NATIVE_BAD.keys())
def test_native_rule_fires(code: str) -> None:
    finding = native_code_finding(code)
    assert finding is not None and finding.reason is Reason.unsafe_native_code


@pytest.mark.parametrize("code", NATIVE_GOOD.values(), ids=NATIVE_GOOD.keys())
def test_native_rule_does_not_fire_on_ordinary_kernels(code: str) -> None:
    assert native_code_finding(code) is None


# --- the builder repeats the native rules on what it really compiles ---------------------------------


def test_builder_refuses_unsafe_source_assembled_at_run_time(tmp_path: Path) -> None:
    builder = CppBuilder(cache_dir=tmp_path)
    source = GOOD_CPP + "\nstatic int r = std::" + "sys" + "tem(\"ls\");\n"
    with pytest.raises(UnsafeSourceError, match="spawns processes"):
        builder.build(BuildRequest(name="k", cpp_sources=[source], functions=["k"]), run_plain)
    assert not (tmp_path / "cpp").exists() or not any((tmp_path / "cpp").rglob("*.so")), "nothing may be built"


def test_builder_refuses_code_smuggled_through_function_docs(tmp_path: Path) -> None:
    builder = CppBuilder(cache_dir=tmp_path)
    with pytest.raises(UnsafeSourceError):
        builder.build(BuildRequest(name="k", cpp_sources=[GOOD_CPP],
                                   functions={"k": '"); int r = std::system("ls"); //'}), run_plain)


@pytest.mark.parametrize("flag", ["-include/proc/self/environ", "@/etc/passwd", "-Wp,-include,/etc/passwd",
                                  "-I/proc/1", "-isystem/etc", "-fplugin=/tmp/evil.so", "-B/tmp", "-specs=/tmp/x",
                                  "-fprofile-use=/proc/1/environ"])
def test_builder_refuses_flags_that_name_files(flag: str) -> None:
    with pytest.raises(UnsafeSourceError, match="not allowed"):
        CppBuilder.candidate_flags([flag])


def test_builder_keeps_codegen_flags_and_drops_owned_ones() -> None:
    flags = ["-O3", "-fno-trapping-math", "-ffast-math", "-DTILE=64", "-mavx2", "-Wall", "-std=c++17"]
    assert CppBuilder.candidate_flags(flags) == ["-fno-trapping-math", "-ffast-math", "-DTILE=64", "-mavx2",
                                                  "-Wall"]


def test_builder_refuses_include_paths(tmp_path: Path) -> None:
    with pytest.raises(UnsafeSourceError, match="extra_include_paths"):
        CppBuilder(cache_dir=tmp_path).build(BuildRequest(name="k", cpp_sources=[GOOD_CPP], functions=["k"],
                                                          extra_include_paths=["/proc/1"]), run_plain)


def test_build_cache_keys_cannot_be_shifted_between_parts() -> None:
    """A source holding the old separator could split into another request's parts and reuse its module."""
    from kernelwright.evaluator.build.cache import content_key

    assert content_key("a\x00b", "c") != content_key("a", "b\x00c")
    assert content_key("ab", "") != content_key("a", "b")
    assert content_key("x", "y") == content_key("x", "y")
