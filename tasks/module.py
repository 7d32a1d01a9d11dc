"""Execute a task or solution file as a real module (so tracebacks and source inspection work)."""

from __future__ import annotations

import importlib.util
import itertools
import sys
import tempfile
from pathlib import Path
from types import ModuleType

_counter = itertools.count()


def exec_module_from_source(source: str, stem: str, directory: Path | None = None) -> ModuleType:
    """Write `source` to a file named after `stem` and import it under a unique module name.

    A file on disk, rather than `exec` of a string, keeps `inspect.getsource` working, which Triton's
    `@triton.jit` and readable tracebacks both need.
    """
    folder = Path(directory) if directory is not None else Path(tempfile.mkdtemp(prefix="kw_mod_"))
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() else "_" for c in stem) or "module"
    name = f"kw_{safe}_{next(_counter)}"
    path = folder / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module
