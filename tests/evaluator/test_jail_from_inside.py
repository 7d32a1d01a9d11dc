"""The jail itself, probed from inside: who it runs as, what it can see, and which system calls it is refused.

One jailed Python reports what it finds as JSON; each test checks one property. These are the facts the
adversarial tests (tests/adversarial/test_jail.py) rely on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from kernelwright.evaluator.jail.bwrap import JAIL_UID, JailSpec, jail_command, jail_problem, seccomp_fd
from kernelwright.evaluator.jail.limits import Limits
from kernelwright.evaluator.jail.process import run
from kernelwright.evaluator.jail.view import package_roots

ROOT = Path(__file__).resolve().parents[2]

PROBE = r'''
import ctypes, errno, json, os, socket
libc = ctypes.CDLL(None, use_errno=True)

def call(fn, *args):
    ctypes.set_errno(0)
    result = fn(*args)
    return errno.errorcode.get(ctypes.get_errno(), "ok") if result == -1 else "ok"

def attempt(fn):
    try:
        fn()
        return "ok"
    except OSError as exc:
        return errno.errorcode.get(exc.errno, str(exc.errno))

status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
facts = {
    "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
    "no_new_privs": status["NoNewPrivs"].strip(), "seccomp": status["Seccomp"].strip(),
    "cap_eff": status["CapEff"].strip(),
    "pids": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
    "net": sorted(line.split(":")[0].strip() for line in open("/proc/net/dev").read().splitlines()[2:]),
    "root": sorted(os.listdir("/")),
    "etc": sorted(os.listdir("/etc")),
    "home": os.environ.get("HOME"), "env": sorted(os.environ),
    "unshare": call(libc.unshare, 0x10000000),
    "setns": call(libc.setns, os.open("/proc/self/ns/net", os.O_RDONLY), 0),
    "ptrace": call(libc.ptrace, 16, 1, 0, 0),
    "mount": call(libc.mount, b"none", b"/tmp", b"tmpfs", 0, None),
    "affinity": attempt(lambda: os.sched_setaffinity(0, {0})),
    "inet": attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
    "netlink": attempt(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)),
    "unix": attempt(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).close()),
    "write_usr": attempt(lambda: open("/usr/kw-jail-test", "w")),
    "write_tmp": attempt(lambda: open("/tmp/kw/kw-jail-test", "w").close()),
    "project": [p for p in ("README.md", "pyproject.toml", "db", "agent", "evaluator", "tasks")
                if os.path.exists(os.path.join(os.environ["KW_PROJECT"], p))],
}
print(json.dumps(facts))
'''

pytestmark = pytest.mark.skipif(jail_problem() is not None, reason=f"no jail here: {jail_problem()}")


@cache
def facts() -> dict[str, Any]:
    """What a jailed Python finds (run once)."""
    fd = seccomp_fd()
    try:
        spec = JailSpec(env={"PYTHONPATH": os.pathsep.join(package_roots()), "KW_PROJECT": str(ROOT)})
        proc = subprocess.run(jail_command([sys.executable, "-c", PROBE], spec, fd), pass_fds=(fd,),
                              capture_output=True, text=True, timeout=120)
    finally:
        os.close(fd)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_an_unprivileged_user_without_capabilities() -> None:
    f = facts()
    assert (f["uid"], f["euid"], f["gid"]) == (JAIL_UID, JAIL_UID, JAIL_UID)
    assert f["groups"] in ([], [JAIL_UID])
    assert f["no_new_privs"] == "1" and int(f["cap_eff"], 16) == 0


def test_the_uid_is_unprivileged_on_the_host_too() -> None:
    """Seen from outside: a root-owned jail mapped onto uid 0 would still own root's files."""
    proc = subprocess.Popen(jail_command(["/bin/sleep", "30"], JailSpec(), fd := seccomp_fd()), pass_fds=(fd,))
    os.close(fd)
    try:
        expected = JAIL_UID if os.geteuid() == 0 else os.geteuid()
        for _ in range(100):
            sleepers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and _is_child_sleep(p, proc.pid)]
            if sleepers:
                break
            subprocess.run(["sleep", "0.05"])
        assert sleepers, "the jailed sleep never showed up"
        uids = [int(line.split()[1]) for line in (sleepers[0] / "status").read_text().splitlines()
                if line.startswith("Uid:")]
        assert uids == [expected]
    finally:
        proc.kill()
        proc.wait()


def _is_child_sleep(entry: Path, bwrap_pid: int) -> bool:
    try:
        cmdline = (entry / "cmdline").read_bytes()
        status = (entry / "status").read_text()
    except OSError:
        return False
    return cmdline.startswith(b"/bin/sleep") and entry.name != str(bwrap_pid) and "PPid" in status


def test_seccomp_refuses_namespace_ptrace_mount_affinity_and_network_calls() -> None:
    f = facts()
    assert f["seccomp"] == "2"
    for call in ("unshare", "setns", "ptrace", "mount", "affinity"):
        assert f[call] == "EPERM", f"{call}: {f[call]}"
    assert f["inet"] == "EAFNOSUPPORT" and f["netlink"] == "EAFNOSUPPORT"
    assert f["unix"] == "ok"  # local plumbing stays possible


def test_only_its_own_processes_and_no_network() -> None:
    f = facts()
    assert max(f["pids"]) < 20, f["pids"]  # a pid namespace of its own: bubblewrap's init and this process
    assert f["net"] == ["lo"]


def test_a_read_only_view_of_only_what_it_needs() -> None:
    f = facts()
    assert f["write_usr"] in ("EROFS", "EACCES") and f["write_tmp"] == "ok"
    assert "shadow" not in f["etc"] and "passwd" not in f["etc"] and "ssh" not in f["etc"]
    assert "home" not in f["root"] and "var" not in f["root"] and "srv" not in f["root"]
    # Of the project, only the two packages it imports: no README, no store, no agent code, no .env.
    assert sorted(f["project"]) == ["evaluator", "tasks"]
    assert f["home"] == "/tmp/kw"
    assert not any(k.endswith(("_KEY", "_TOKEN", "_URL")) for k in f["env"]), f["env"]


def test_memory_and_process_limits_hold() -> None:
    hog = run([sys.executable, "-c", "b = bytearray(3 * 2**30)"], JailSpec(), Limits(1024, 60, 64, 100), 60)
    assert hog.returncode != 0 and ("MemoryError" in hog.stderr or hog.returncode < 0 or hog.returncode > 128)
    bomb = run(["/bin/sh", "-c", "for i in $(seq 200); do sleep 5 & done; wait"], JailSpec(),
               Limits(1024, 60, 32, 100), 60)
    assert "fork" in bomb.stderr.lower() or "resource" in bomb.stderr.lower(), bomb.stderr[-500:]


def test_process_limit_holds_without_a_pids_cgroup(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where no cgroup can be made (an unprivileged user, a VM without delegation), RLIMIT_NPROC caps the jail's
    user at a few jails' worth of tasks more than it runs already."""
    import kernelwright.evaluator.jail.limits as limits_module

    monkeypatch.setattr(limits_module, "_CGROUP_FS", Path("/nonexistent-cgroup-fs"))
    bomb = run(["/bin/sh", "-c", "for i in $(seq 400); do sleep 5 & done; wait"], JailSpec(),
               Limits(1024, 60, 32, 100), 60)
    assert "fork" in bomb.stderr.lower() or "resource" in bomb.stderr.lower(), bomb.stderr[-500:]


def test_a_compiler_outside_the_system_folders_is_shown_and_on_path(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A toolchain under its own root (say /opt/gcc) is what the judge's builds and Triton's launchers run: the
    jail shows its toolchain folders and puts its bin first on PATH, and nothing else of the root."""
    import kernelwright.evaluator.jail.view as view

    root = tmp_path / "gcc"
    (root / "bin").mkdir(parents=True)
    (root / "libexec").mkdir()
    (root / "libexec" / "marker").write_text("cc1plus lives here\n")
    (root / "notes.txt").write_text("not part of the toolchain\n")
    wrapper = root / "bin" / "g++"
    wrapper.write_text("#!/bin/sh\ncat \"$(dirname \"$0\")/../libexec/marker\"\nexec /usr/bin/g++ \"$@\"\n")
    wrapper.chmod(0o755)
    monkeypatch.setenv("CXX", str(wrapper))
    for cached in (view._toolchains, view.system_mounts):
        cached.cache_clear()
    monkeypatch.setattr(view, "_toolchains", view._toolchains.__wrapped__)
    monkeypatch.setattr(view, "system_mounts", view.system_mounts.__wrapped__)
    script = f"g++ --version | head -2; test -e {root}/notes.txt && echo SEEN || echo HIDDEN"
    found = run(["/bin/sh", "-c", script], JailSpec(), Limits(1024, 60, 64, 100), 60)
    assert found.returncode == 0, found.stderr
    assert "cc1plus lives here" in found.stdout and "g++" in found.stdout and "HIDDEN" in found.stdout
