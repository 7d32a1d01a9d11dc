"""Search strategies, found by name: how one task's model calls are spent (`search.strategy`, `--strategy`).

A strategy is one file: a `SearchStrategy` subclass (`base.py`) with a `name`, decorated with `register`. The
built-ins (`parallel`, the default; `evolution`; `tree`) are imported the first time a name is looked up. This
package's own namespace is the registry alone (`registry.py`), which imports nothing of the search.
"""

from kernelwright.agent.strategies.registry import DEFAULT_STRATEGY, UnknownStrategy, register, strategy_names

__all__ = ["DEFAULT_STRATEGY", "UnknownStrategy", "register", "strategy_names"]
