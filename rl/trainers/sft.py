"""`kernelwright train sft`: TRL's SFTTrainer on an exported SFT dataset, optionally with a PEFT LoRA adapter.

The output folder holds a plain model plus its tokenizer (a LoRA adapter is merged in before saving), so it
can be trained further or driven by `optimize --provider local:OUTPUT` directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kernelwright.rl.trainers.common import TrainingReport, on_cpu, report, require_train_extra, step_timer
from kernelwright.rl.trainers.options import SftOptions


def load_messages(path: Path) -> Any:
    """An SFT export (JSONL or a saved `datasets` folder) as conversational prompt/completion pairs.

    The last message (the reply) is the completion, so the loss is on the reply only (TRL's
    `completion_only_loss`) with any chat template; the prompt (task, examples, exemplars) is context.
    """
    from datasets import load_dataset, load_from_disk

    dataset = load_from_disk(str(path)) if path.is_dir() else load_dataset("json", data_files=str(path),
                                                                            split="train")
    if "messages" not in dataset.column_names:
        raise ValueError(f"{path} has no `messages` column; export it with `kernelwright traces export --format sft`")
    if len(dataset) == 0:
        raise ValueError(f"{path} holds no records; nothing to train on")
    return dataset.select_columns(["messages"]).map(
        lambda r: {"prompt": r["messages"][:-1], "completion": r["messages"][-1:]}, remove_columns=["messages"])


def train_sft(options: SftOptions) -> TrainingReport:
    """Fine-tune `options.model` on the dataset and save the result (merged, with tokenizer) to `output_dir`."""
    require_train_extra()
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import SFTConfig, SFTTrainer

    dataset = load_messages(options.data)
    tokenizer = AutoTokenizer.from_pretrained(options.model)
    model = AutoModelForCausalLM.from_pretrained(options.model)
    peft_config = None
    if options.lora:
        from peft import LoraConfig

        peft_config = LoraConfig(r=options.lora_r, lora_alpha=options.alpha, target_modules="all-linear",
                                 task_type="CAUSAL_LM")
    args = SFTConfig(output_dir=str(options.output_dir), max_steps=options.max_steps,
                     num_train_epochs=options.epochs, per_device_train_batch_size=options.batch_size,
                     learning_rate=options.learning_rate, max_length=options.max_length, seed=options.seed,
                     logging_steps=1, save_strategy="no", report_to=[], use_cpu=on_cpu(), bf16=False,
                     dataloader_num_workers=0)
    timer = step_timer()
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer,
                         peft_config=peft_config, callbacks=[timer])
    trainer.train()
    trained = trainer.model.merge_and_unload() if options.lora else trainer.model
    trained.save_pretrained(options.output_dir)
    tokenizer.save_pretrained(options.output_dir)
    return report(str(options.output_dir), timer, trainer.state.log_history)
