"""Prompt building from the Jinja2 templates in `agent/prompts/templates/`."""

from kernelwright.agent.prompts.builder import (
           ParentKernel,
           PromptBuilder,
           PromptInputs,
           WorkedExample,
           template_version,
)
from kernelwright.agent.prompts.feedback import feedback_for, no_code_feedback

__all__ = ["ParentKernel", "PromptBuilder", "PromptInputs", "WorkedExample", "feedback_for", "no_code_feedback",
           "template_version"]
