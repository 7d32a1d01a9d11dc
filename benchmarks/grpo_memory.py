"""Peak memory of single-prompt GRPO steps on a CPU: TRL's GRPOTrainer built as `train grpo` builds it.

    python benchmarks/grpo_memory.py [--model smollm2-135m] [--task broadcast/add_outer] [--completion 640]
        [--generations 2] [--micro-batch 1] [--no-gradient-checkpointing] [--logprob-chunk 4096]
        [--prompt-tokens N] [--steps 1] [--update-only]

The prompt is the agents' own for the task (`PromptBuilder` with the same-category example, no exemplars, as a
fresh store gives), cut to its first N tokens with --prompt-tokens (to see how memory grows with length); every
completion is forced to the full --completion length (`min_new_tokens`), the worst case of a step. The reward is
a stand-in (each completion's count of distinct characters), so groups have a spread and the update is a real one;
the evaluator and the store are not involved, they run beside the trainer in `train grpo`. One torch thread.
With --update-only it skips sampling and runs one update alone on random completion tokens (`update_only`), which
takes minutes less. Prints one JSON line: the settings, the prompt's tokens, the process's peak resident memory
(ru_maxrss) and the wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from kernelwright.agent.models import resolve_model  # noqa: E402
from kernelwright.agent.prompts import PromptBuilder, PromptInputs  # noqa: E402
from kernelwright.agent.prompts.builder import same_category_example  # noqa: E402
from kernelwright.rl.trainers.grpo import grpo_arguments, logprob_chunk  # noqa: E402
from kernelwright.rl.trainers.options import GrpoOptions  # noqa: E402
from kernelwright.tasks.registry import resolve_task  # noqa: E402


def prompt_messages(task_id: str, tokenizer: Any, limit: int | None) -> tuple[list[dict[str, str]], int]:
    """The agents' prompt for `task_id` (cut so that it holds at most `limit` tokens) and its token count."""
    task = resolve_task(task_id)
    messages = [m.model_dump() for m in PromptBuilder().build(PromptInputs(
        task=task, platform="cpu", threads=1, example=same_category_example(task, "cpu")))]

    def count(msgs: list[dict[str, str]]) -> int:
        return len(tokenizer.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True,
                                                 return_dict=True)["input_ids"])

    if limit is not None and count(messages) > limit:
        user = tokenizer(messages[-1]["content"])["input_ids"]
        keep = max(1, len(user) - (count(messages) - limit))
        messages[-1]["content"] = tokenizer.decode(user[:keep])
    return messages, count(messages)


def distinct_tokens(completions: list[Any], **_: Any) -> list[float]:
    """A stand-in reward that differs between completions: its count of distinct characters."""
    return [float(len(set(str(c)))) for c in completions]


def update_only(model: Any, tokenizer: Any, messages: list[dict[str, str]], options: GrpoOptions) -> None:
    """One optimizer step of the update as TRL runs it, without sampling: TRL's fused log-prob head, `micro_batch`
    sequences (the prompt, then `max_completion_length` random tokens) per forward and backward pass, the options'
    checkpointing and tile width, then AdamW."""
    import torch
    from trl.trainer.utils import add_fused_lm_head

    add_fused_lm_head(model)
    if options.gradient_checkpointing:
        model.gradient_checkpointing_enable()
    model.train()
    model.config.use_cache = False
    optimizer = torch.optim.AdamW(model.parameters(), lr=options.learning_rate)
    prompt = torch.tensor(tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True,
                                                        return_dict=True)["input_ids"])
    generator = torch.Generator().manual_seed(0)
    completions = torch.randint(0, len(tokenizer), (options.num_generations, options.max_completion_length),
                                generator=generator)
    ids = torch.cat([prompt.repeat(options.num_generations, 1), completions], dim=1)
    labels = ids.clone()
    labels[:, :len(prompt)] = -100  # only completion tokens are scored
    with logprob_chunk(options.logprob_chunk):
        for start in range(0, options.num_generations, options.micro_batch):
            part = slice(start, start + options.micro_batch)
            model(input_ids=ids[part], labels=labels[part], fused_lm_head=True).loss.backward()
    optimizer.step()


def main(argv: list[str] | None = None) -> None:
    """Run the steps and print the measurement."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="smollm2-135m")
    p.add_argument("--task", default="broadcast/add_outer")
    p.add_argument("--completion", type=int, default=640, help="tokens per completion (all forced to it)")
    p.add_argument("--generations", type=int, default=2)
    p.add_argument("--micro-batch", type=int, default=1)
    p.add_argument("--no-gradient-checkpointing", action="store_true")
    p.add_argument("--logprob-chunk", type=int, default=GrpoOptions.model_fields["logprob_chunk"].default,
                   help="vocabulary columns per tile of TRL's fused log-prob head (TRL's own: 32768)")
    p.add_argument("--attn", default=None, help="attention implementation (default: the model's, sdpa)")
    p.add_argument("--prompt-tokens", type=int, default=None, help="cut the prompt to this many tokens")
    p.add_argument("--steps", type=int, default=1)
    p.add_argument("--update-only", action="store_true", help="no sampling: one update alone (forward, backward, "
                   "AdamW) over the prompt followed by random completion tokens, micro batch by micro batch")
    args = p.parse_args(argv)

    import torch
    from datasets import Dataset
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    torch.set_num_threads(1)
    folder = resolve_model(args.model)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    extra = {"attn_implementation": args.attn} if args.attn else {}
    model = AutoModelForCausalLM.from_pretrained(folder, **extra)
    messages, prompt_tokens = prompt_messages(args.task, tokenizer, args.prompt_tokens)
    with tempfile.TemporaryDirectory(prefix="kw-grpo-mem-") as out:
        options = GrpoOptions(model=folder, output_dir=Path(out), max_steps=args.steps,
                              num_generations=args.generations, micro_batch=args.micro_batch,
                              gradient_checkpointing=not args.no_gradient_checkpointing,
                              logprob_chunk=args.logprob_chunk, max_completion_length=args.completion)
        start = time.perf_counter()
        if args.update_only:
            update_only(model, tokenizer, messages, options)
        else:
            config = GRPOConfig(**grpo_arguments(options, [1.0]),
                                generation_kwargs={"min_new_tokens": args.completion})
            dataset = Dataset.from_list([{"prompt": messages}] * args.steps)
            trainer = GRPOTrainer(model=model, reward_funcs=[distinct_tokens], args=config, train_dataset=dataset,
                                  processing_class=tokenizer)
            with logprob_chunk(options.logprob_chunk):
                trainer.train()
        seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"prompt_tokens": prompt_tokens, "completion": args.completion,
                      "generations": args.generations, "micro_batch": args.micro_batch,
                      "gradient_checkpointing": options.gradient_checkpointing,
                      "logprob_chunk": options.logprob_chunk,
                      "attn": model.config._attn_implementation,
                      "steps": "update only" if args.update_only else args.steps,
                      "peak_rss_mib": round(peak_mib), "train_s": round(seconds, 1)}))


if __name__ == "__main__":
    main()
