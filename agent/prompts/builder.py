"""Turn a task, its platform and the search's history into chat messages, from the template files."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import jinja2
from pydantic import BaseModel

from kernelwright.agent.exemplars import Exemplar
from kernelwright.agent.providers.base import ChatMessage
from kernelwright.agent.starting import StartingKernel
from kernelwright.evaluator.platforms import platform_class
from kernelwright.evaluator.platforms.base import HardwareInfo, Peaks
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import example_solutions, suite_tasks

TEMPLATES = Path(__file__).resolve().parent / "templates"


class WorkedExample(BaseModel):
    """A same-category task and its shipped solution: the prompt's one-shot example."""

    task_id: str
    task_source: str
    solution: str


class ParentKernel(BaseModel):
    """An earlier candidate a search strategy asks the model to build on, with its verdict in words."""

    source: str
    verdict: str


class PromptInputs(BaseModel):
    """Everything one prompt is built from."""

    task: Task
    platform: str
    hardware: HardwareInfo | None = None
    peaks: Peaks | None = None
    threads: int | None = None
    allow_torch: bool = False
    example: WorkedExample | None = None
    exemplars: list[Exemplar] = []
    feedback: str | None = None
    start: StartingKernel | None = None  # the kernel the search starts from (to port, or to improve)
    parents: list[ParentKernel] = []  # kernels the strategy chose to refine (one) or to cross over (two)


_BACKTICK_RUN = re.compile(r"`{3,}")


def fence(text: str, lang: str = "") -> str:
    """`text` as one fenced block whose fence is longer than any backtick run inside it.

    Code shown in a prompt (a task, a stored candidate, a compiler log) is untrusted text: with a plain ``` fence, a
    ``` line inside it would close the block and what follows would read as the prompt's own words.
    """
    longest = max((len(run) for run in _BACKTICK_RUN.findall(text)), default=2)
    marker = "`" * max(3, longest + 1)
    return f"{marker}{lang}\n{text.rstrip()}\n{marker}"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
                             autoescape=False)  # prompts are plain text, not HTML
    env.filters["fence"] = fence
    return env


@lru_cache(maxsize=1)
def template_version() -> str:
    """A short hash of every template file: stored with each run so results can be tied to the prompts."""
    digest = hashlib.sha256()
    for path in sorted(TEMPLATES.rglob("*.j2")):
        digest.update(path.relative_to(TEMPLATES).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def render(name: str, **values: object) -> str:
    """Render one template file with strict variables (a missing one is an error, not an empty string)."""
    return _environment().get_template(name).render(**values).strip() + "\n"


def same_category_example(task: Task, platform: str) -> WorkedExample | None:
    """A shipped solution for another task of the same category (any category when it has none)."""
    def pick(candidates: list[Task]) -> WorkedExample | None:
        for other in candidates:
            if other.id == task.id or other.source_hash == task.source_hash:
                continue
            path = example_solutions(other).get(platform)
            if path is not None:
                return WorkedExample(task_id=other.id, task_source=other.source,
                                     solution=path.read_text(encoding="utf-8"))
        return None

    suite = suite_tasks()
    same = [t for t in suite if t.category == task.category]
    return pick(sorted(same, key=lambda t: (t.level != task.level, t.id))) or pick(suite)


class PromptBuilder:
    """Builds the system and user messages of one turn."""

    def build(self, inputs: PromptInputs) -> list[ChatMessage]:
        platform = {"name": inputs.platform, "language": platform_class(inputs.platform).prompt_language}
        notes_file = f"platform_notes/{inputs.platform}.md.j2"
        notes = render(notes_file) if (TEMPLATES / notes_file).is_file() else ""
        system = render("system.md.j2", platform=platform, allow_torch=inputs.allow_torch)
        # The starting kernel's language is its own platform's word for it ("CUDA C++"), shown beside the target's.
        start_language = platform_class(inputs.start.platform).prompt_language if inputs.start else ""
        user = render("user.md.j2", task=inputs.task, platform=platform, platform_notes=notes.strip(),
                      hardware=inputs.hardware, peaks=inputs.peaks, threads=inputs.threads,
                      example=inputs.example, exemplars=inputs.exemplars, feedback=inputs.feedback,
                      start=inputs.start, start_language=start_language, parents=inputs.parents)
        return [ChatMessage(role="system", content=system), ChatMessage(role="user", content=user)]
