"""What a jail sees of the host: read-only system folders, the Python it runs, and nothing else it isn't given.

Every folder is mounted at its own host path, so interpreters, rpaths, precompiled headers and compiler
search paths work unchanged inside. Home folders, the project's other files (a `.env`, the SQLite store), the
host's /tmp, the rest of /etc (shadow, ssh keys), sockets under /run and the other users' processes are simply
not there.
"""

from __future__ import annotations

import glob
import os
import shutil
import site
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from functools import cache
from pathlib import Path


class MountKind(str, Enum):
    ro = "ro"  # read-only bind mount
    rw = "rw"  # read-write bind mount
    dev = "dev"  # device node (GPU)
    symlink = "symlink"  # merged-/usr links such as /bin -> usr/bin


@dataclass(frozen=True)
class Mount:
    kind: MountKind
    source: str
    dest: str


_SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
# The dynamic loader's cache and config, the compiler's alternatives, name-service config and the time zone: no
# secrets. /etc/passwd is left out too: the runner's user name comes from $USER.
_ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/alternatives", "/etc/nsswitch.conf",
        "/etc/localtime")
# CPU topology (cache sizes, online cores) that PyTorch's cpuinfo and OpenMP read; read-only facts.
_CPU_INFO = ("/sys/devices/system/cpu",)


def _bind(path: str, kind: MountKind = MountKind.ro) -> list[Mount]:
    if os.path.islink(path):
        return [Mount(MountKind.symlink, os.readlink(path), path)]
    if os.path.exists(path):
        return [Mount(kind, path, path)]
    return []


def package_roots() -> list[str]:
    """The folder holding the `kernelwright` package (the project, or site-packages): the runner's PYTHONPATH.

    It is the folder this module was imported from, as many levels up as its name has parts; in a checkout that is
    through the link `kernelwright/evaluator`, to the project's root."""
    return [str(Path(__file__).parents[len(__name__.split(".")) - 1])]


@cache
def python_mounts() -> tuple[Mount, ...]:
    """The interpreter, its standard library and site-packages, and our two rooms (never the whole project)."""
    mounts: list[Mount] = []
    prefixes = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    for prefix in sorted(prefixes):
        mounts += _bind(prefix)
    for folder in site.getsitepackages():
        real = os.path.realpath(folder)
        if os.path.isdir(real) and not any(real.startswith(p + os.sep) for p in prefixes):
            mounts += _bind(real)
    covered = [m.dest for m in mounts]
    # The namespace's own `__init__.py` and the two rooms a runner imports. In a checkout the rooms are links from
    # `kernelwright/` to the project's top-level folders: the link is shown as a link and its folder beside it.
    for root in package_roots():
        for part in ("__init__.py", "evaluator", "tasks"):
            path = os.path.join(root, "kernelwright", part)
            for shown in dict.fromkeys((path, os.path.realpath(path))):
                if not any(shown.startswith(c + os.sep) for c in covered):
                    mounts += _bind(shown)
    # The venv's `python` is a link into the base install; both ends must resolve inside.
    exe = sys.executable
    if not any(exe.startswith(m.dest + os.sep) for m in mounts):
        mounts += _bind(os.path.dirname(exe))
    return tuple(mounts)


# The compilers a jail may run: the judge's C++ builds, nvcc's host compiler, Triton's launcher stubs.
_COMPILERS = ("CXX", "CC")
_COMPILER_NAMES = ("g++", "gcc", "cc", "c++")


# What a compiler's install root holds that the compiler reads (cc1plus, headers, libgcc, a target's binutils);
# only these are shown, so a root that is also something else (a home folder) shows no more than a toolchain.
_TOOLCHAIN_PARTS = ("bin", "lib", "lib64", "libexec", "include", "*-linux-gnu")


@cache
def _toolchains() -> tuple[tuple[str, str], ...]:
    """(bin folder, install root) of each C/C++ compiler the judge would run that lives outside the system
    folders (a toolchain under /opt, say): the jail shows the root's toolchain folders read-only and puts the
    bin folder on PATH."""
    found: list[tuple[str, str]] = []
    names = [os.environ[v] for v in _COMPILERS if os.environ.get(v)] + list(_COMPILER_NAMES)
    for name in names:
        path = shutil.which(name)
        if path is None:
            continue
        for candidate in (path, os.path.realpath(path)):  # the link's folder and where it points
            folder = os.path.dirname(candidate)
            root = os.path.dirname(folder)
            if root in ("", "/") or any(root == s or root.startswith(s + "/") for s in _SYSTEM):
                continue
            if (folder, root) not in found:
                found.append((folder, root))
    return tuple(found)


def toolchain_bins() -> list[str]:
    """Compiler folders outside the system folders, for the jail's PATH (before the system's own)."""
    return [folder for folder, _ in _toolchains()]


@cache
def system_mounts() -> tuple[Mount, ...]:
    mounts: list[Mount] = []
    toolchains = [part for _, root in _toolchains() for pattern in _TOOLCHAIN_PARTS
                  for part in sorted(glob.glob(os.path.join(root, pattern)))]
    for path in (*_SYSTEM, *_ETC, *_CPU_INFO, *toolchains):
        mounts += _bind(path)
    return tuple(mounts)


def jail_view(read_only: list[str], read_write: list[str], devices: Sequence[str] = ()) -> list[Mount]:
    """Everything a jail sees, parents before children: system, Python, the given folders, the device nodes (a
    platform's `device_nodes`)."""
    mounts = [*system_mounts(), *python_mounts()]
    mounts += [m for path in read_only for m in _bind(path)]
    mounts += [m for path in read_write for m in _bind(path, MountKind.rw)]
    mounts += [Mount(MountKind.dev, path, path) for path in devices]
    kept: list[Mount] = []
    for mount in sorted(mounts, key=lambda m: m.dest.count("/")):
        # A read-only folder inside one already mounted read-only adds nothing (and would hide nothing).
        if mount.kind is MountKind.ro and any(k.kind is MountKind.ro and mount.dest.startswith(k.dest + "/")
                                              for k in kept):
            continue
        if mount not in kept:
            kept.append(mount)
    return kept
