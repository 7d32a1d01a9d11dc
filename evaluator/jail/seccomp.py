"""The jail's system-call filter, built with libseccomp (through pyseccomp) and handed to bubblewrap as BPF.

Default allow, with a deny list: a runner needs the ordinary calls of Python, PyTorch, a compiler and (on a GPU)
the driver's ioctls, and nothing that reaches outside its namespaces or into the kernel's administration. What the
list stops, and why:
- other processes' memory: ptrace, process_vm_readv/writev, kcmp, pidfd_getfd;
- the namespaces and mounts the jail is made of: mount and the new mount API, umount2, pivot_root, chroot, unshare,
  setns, and clone/clone3 with namespace flags (clone3 passes its flags in memory a filter cannot read, so it is
  refused with ENOSYS and the C library falls back to clone);
- the network: socket() of every family but AF_UNIX (the control channel is an AF_UNIX pair handed to the runner;
  the network namespace has no interfaces anyway); io_uring, whose requests bypass this filter;
- the cores it was given: sched_setaffinity (both sides of a timing run on the same cores, and a candidate may not
  spread onto others);
- the kernel itself: module loading, kexec, bpf, perf_event_open, userfaultfd, keyrings, swap, reboot, clocks,
  syslog, quotas, handle-based opens (open_by_handle_at reads files by inode, around the mount view), iopl/ioperm.
- exit statuses of 128 and above (exit and exit_group with bit 7 of the status set: the kernel keeps its low 8
  bits): bubblewrap reports a child killed by signal N as exit status 128 + N, so a runner that could `_exit(137)`
  would pass for one killed by SIGKILL. Such an exit kills the process with SIGSYS instead, so the judge reads a
  status above 128 as the signal it stands for (`process.exit_status`).
System calls of another architecture (int 0x80 on x86-64) kill the process: libseccomp's default bad-arch action.
"""

from __future__ import annotations

import errno
import tempfile
from functools import cache

DENIED = (
    "ptrace", "process_vm_readv", "process_vm_writev", "kcmp", "pidfd_getfd",
    "mount", "umount2", "pivot_root", "chroot", "unshare", "setns", "open_tree", "move_mount", "fsopen", "fsconfig",
    "fsmount", "fspick", "mount_setattr",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "bpf", "perf_event_open",
    "userfaultfd", "add_key", "request_key", "keyctl", "swapon", "swapoff", "reboot", "syslog", "acct", "quotactl",
    "settimeofday", "clock_settime", "clock_adjtime", "adjtimex", "sethostname", "setdomainname", "vhangup",
    "open_by_handle_at", "name_to_handle_at", "lookup_dcookie", "iopl", "ioperm", "uselib", "sched_setaffinity",
)
AF_UNIX = 1
# CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
CLONE_NAMESPACE_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000,
                         0x00000080)

# Exit statuses with this bit set read as "killed by signal status - 128" in bubblewrap's report.
EXIT_SIGNAL_BIT = 0x80


class SeccompUnavailable(RuntimeError):
    """libseccomp (or pyseccomp) is missing, so no filter can be built."""


@cache
def policy_bpf() -> bytes:
    """The compiled filter for this machine's architecture (built once per process)."""
    try:
        import pyseccomp as sc
    except (ImportError, OSError) as exc:  # OSError: pyseccomp is there but libseccomp.so.2 is not
        raise SeccompUnavailable(f"cannot load libseccomp ({exc}); install it (Debian/Ubuntu: `apt install "
                                 "libseccomp2`) and `pip install pyseccomp`") from exc
    flt = sc.SyscallFilter(sc.ALLOW)
    for name in DENIED:
        try:
            flt.add_rule(sc.ERRNO(errno.EPERM), name)
        except (OSError, ValueError, RuntimeError):
            continue  # not a system call of this architecture or not known to this libseccomp
    flt.add_rule(sc.ERRNO(errno.EAFNOSUPPORT), "socket", sc.Arg(0, sc.NE, AF_UNIX))
    flt.add_rule(sc.ERRNO(errno.EAFNOSUPPORT), "socketpair", sc.Arg(0, sc.NE, AF_UNIX))
    for flag in CLONE_NAMESPACE_FLAGS:
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, flag, flag))
    flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    for name in ("exit", "exit_group"):
        flt.add_rule(sc.KILL_PROCESS, name, sc.Arg(0, sc.MASKED_EQ, EXIT_SIGNAL_BIT, EXIT_SIGNAL_BIT))
    with tempfile.TemporaryFile() as handle:
        flt.export_bpf(handle)
        handle.seek(0)
        return handle.read()
