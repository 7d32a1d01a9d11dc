"""Messages in the words of the HTTP door: what the evaluator, the tasks and the providers write for the command
line (`--provider openai`, `kernelwright tasks list`) names the API's fields and endpoints here, and what only the
service's operator can change names the operator's setting."""

from __future__ import annotations

import re

from kernelwright.agent.providers import MissingApiKey

# Options a request sets, as their JSON fields (the OptimizeRequest schema).
_FIELDS = {"provider": "provider", "model": "model", "platform": "platform", "trajectories": "trajectories",
           "turns": "turns", "strategy": "strategy", "patience": "patience", "max-failures": "max_failures",
           "temperature": "temperature"}
# Options the service's operator sets for every job (KERNELWRIGHT_SERVE_*).
_SETTINGS = {"base-url": "KERNELWRIGHT_SERVE_BASE_URL", "api-key-env": "KERNELWRIGHT_SERVE_API_KEY_ENV"}
_WITH_VALUE = re.compile(r"--provider ([a-z]+)\b")
_FLAG = re.compile(r"--([a-z][a-z-]*)(?: NAME)?")
_COMMANDS = {"`kernelwright tasks list`": "GET /v1/tasks", "kernelwright tasks list": "GET /v1/tasks"}


def _flag(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in _FIELDS:
        return f'"{_FIELDS[name]}"'
    if name in _SETTINGS:
        return f"the service's {_SETTINGS[name]} (its operator's setting)"
    return match.group(0)


def for_http(message: str) -> str:
    """`message` with command-line options and commands replaced by the API's fields, endpoints and the
    operator's settings (`--provider openai` becomes `"provider": "openai"`)."""
    for command, endpoint in _COMMANDS.items():
        message = message.replace(command, endpoint)
    message = _WITH_VALUE.sub(lambda m: f'"provider": "{m.group(1)}"', message)
    return _FLAG.sub(_flag, message)


def no_key_advice(exc: MissingApiKey, providers: list[str], suite_task: bool) -> str:
    """What an HTTP client can do when the service has no key for its endpoint: the key and the endpoint are the
    operator's; a suite task can run with the offline `examples` provider where the service offers it."""
    advice = (f"this service has no API key for its model endpoint {exc.base_url}: its operator sets {exc.env} "
              "(the variable KERNELWRIGHT_SERVE_API_KEY_ENV names) or points KERNELWRIGHT_SERVE_BASE_URL at an "
              "OpenAI-compatible server")
    if "examples" in providers and suite_task:
        advice += '; a suite task can run now with "provider": "examples" (offline replay of its shipped example)'
    return advice
