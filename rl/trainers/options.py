"""The options of the trainers (`train sft`, `train grpo`), apart from the trainers, so that reading a
configuration file does not load TRL."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, model_validator

from kernelwright.agent.evaluators import ClusterConfig
from kernelwright.agent.models import MODEL_OR_PATH
from kernelwright.evaluator import EvalOptions
from kernelwright.rl.rewards import RewardConfig


class SftOptions(BaseModel):
    """One SFT run."""

    model: Path = Field(description="a base model's name (`kernelwright models list`) or a model folder "
                        "(config.json, weights, tokenizer with a chat template)", json_schema_extra=MODEL_OR_PATH)
    data: Path = Field(description="an SFT export: a JSONL file or a `datasets` folder saved with save_to_disk")
    output_dir: Path
    lora: bool = False
    lora_r: int = Field(default=16, ge=1)
    lora_alpha: int | None = Field(default=None, ge=1, description="LoRA scale (default: twice lora_r)")
    max_steps: int = Field(default=-1, description="optimizer steps; -1 trains for `epochs` epochs")
    epochs: float = Field(default=1.0, gt=0)
    batch_size: int = Field(default=1, ge=1)
    learning_rate: float = Field(default=2e-5, gt=0)
    max_length: int | None = Field(default=4096, description="longer examples are truncated")
    seed: int = 0

    @property
    def alpha(self) -> int:
        """The LoRA scale in force."""
        return self.lora_alpha if self.lora_alpha is not None else 2 * self.lora_r


class GrpoOptions(BaseModel):
    """One GRPO run."""

    model: Path = Field(description="a base model's name or a model folder", json_schema_extra=MODEL_OR_PATH)
    output_dir: Path
    platform: str = "cpu"
    max_steps: int = Field(default=10, ge=1)
    num_generations: int = Field(default=4, ge=2, description="completions per prompt (one group); with "
                                 "turns > 1, trajectories per task (one group)")
    turns: int = Field(default=1, ge=1, description="turns per trajectory: 1 is single-prompt GRPO (TRL's "
                       "GRPOTrainer); more runs multi-turn GRPO, each turn's prompt carrying the evaluator's "
                       "feedback on the turn before (rl/trainers/multiturn.py)")
    gamma: float = Field(default=0.4, ge=0, le=1, description="discount of later turns' rewards in a turn's "
                         "return, R_t = r_t + gamma * R_{t+1} (0: each turn for itself; 1: every later turn "
                         "counts in full); read only with turns > 1")
    max_completion_length: int = Field(default=1024, ge=1)
    micro_batch: int = Field(default=1, ge=1, description="completions per forward and backward pass of the "
                             "update; the group's gradients are accumulated over num_generations / micro_batch "
                             "passes, so each optimizer step still trains on the whole group with the same "
                             "gradient. The update's activation memory grows with it; must divide "
                             "num_generations (turns > 1: turns per pass)")
    gradient_checkpointing: bool = Field(default=True, description="keep only each layer's input for the backward "
                                         "pass and recompute the rest there: about a third more compute in the "
                                         "update, and activation memory of one layer instead of all of them "
                                         "(without it, ~1.6 GB per 1,000 tokens of prompt and completion for "
                                         "smollm2-135m)")
    logprob_chunk: int = Field(default=4096, ge=1, description="vocabulary columns per tile of TRL's fused "
                               "log-prob head in the update (TRL's own is 32768). Off a GPU it scores every position, "
                               "prompt included, and keeps several float32 copies of a tile (positions x this) in "
                               "flight: at 32768, ~2 GB beside a ~3,100-token sequence; at 4096 an eighth of it, "
                               "at the same speed (single-prompt GRPO only)")
    learning_rate: float = Field(default=1e-6, gt=0)
    temperature: float = Field(default=1.0, gt=0)
    beta: float = Field(default=0.0, ge=0, description="KL weight against the starting model (0: no reference)")
    exemplars: int = Field(default=2, ge=0)
    seed: int = 0
    eval: EvalOptions = Field(default_factory=EvalOptions)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    reward: RewardConfig = Field(default_factory=RewardConfig, description="how completions are rewarded: the "
                                 "named reward functions with their weights, and the speedup shape")

    @model_validator(mode="after")
    def _micro_batch_divides_the_group(self) -> GrpoOptions:
        if self.num_generations % self.micro_batch:
            raise ValueError(f"micro_batch ({self.micro_batch}) must divide num_generations "
                             f"({self.num_generations}): each optimizer step accumulates whole passes over one group")
        return self
