"""Trainers: TRL SFT (with optional PEFT LoRA), TRL GRPO with the evaluator as reward, OpenAI fine-tuning."""
