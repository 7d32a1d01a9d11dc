"""Named import sources: which checkout (and which commit of it) an imported task came from.

An import is a source with a name; imported ids carry it (`kernelbench/KernelBench@1a2b3c4d5e6f/level1/19_ReLU`),
so two checkouts, or two commits of one (KernelBench's main and v0), never share an id. The default name is the
checkout's folder name plus `@` and the first 12 hex digits of its git commit, when it is a git checkout.
"""

from __future__ import annotations

import re
from pathlib import Path

SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}$")
_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def _git_dir(root: Path) -> Path | None:
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():  # a worktree or submodule: "gitdir: <path>"
            text = dot_git.read_text(encoding="utf-8", errors="replace").strip()
            if text.startswith("gitdir:"):
                target = Path(text.removeprefix("gitdir:").strip())
                return target if target.is_absolute() else (folder / target).resolve()
    return None


def _ref(git_dir: Path, ref: str) -> str | None:
    for base in (git_dir, _common_dir(git_dir)):
        loose = base / ref
        if loose.is_file():
            return loose.read_text(encoding="utf-8", errors="replace").strip()
        packed = base / "packed-refs"
        if packed.is_file():
            for line in packed.read_text(encoding="utf-8", errors="replace").splitlines():
                sha, _, name = line.partition(" ")
                if name.strip() == ref:
                    return sha
    return None


def _common_dir(git_dir: Path) -> Path:
    common = git_dir / "commondir"
    if common.is_file():
        target = Path(common.read_text(encoding="utf-8").strip())
        return target if target.is_absolute() else (git_dir / target).resolve()
    return git_dir


def git_commit(root: Path) -> str | None:
    """The commit checked out at `root`, read from `.git` as files: no git process runs on a stranger's checkout
    (its config can name commands that git would run)."""
    git_dir = _git_dir(root.resolve())
    if git_dir is None:
        return None
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8", errors="replace").strip()
        sha = _ref(git_dir, head.removeprefix("ref:").strip()) if head.startswith("ref:") else head
    except OSError:
        return None
    return sha if sha and _SHA.match(sha) else None


def default_source_name(root: Path) -> tuple[str, str | None]:
    """(name, commit) for a checkout: its folder's name, plus `@` and a short commit when it is a git checkout."""
    commit = git_commit(root)
    base = re.sub(r"[^A-Za-z0-9._+-]", "_", root.resolve().name) or "checkout"
    return (f"{base}@{commit[:12]}" if commit else base), commit


def check_source_name(name: str) -> str:
    """`name` if it can be part of an id (letters, digits and `._@+-`, starting with a letter or digit)."""
    if not SOURCE_NAME.match(name):
        raise ValueError(f"source name {name!r}: use letters, digits and ._@+- (starting with a letter or digit)")
    return name
