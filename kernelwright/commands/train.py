"""`kernelwright train sft|grpo|openai`: fine-tune the kernel-writing model from exported traces."""

from __future__ import annotations

import json
import sys
import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from kernelwright.agent.models import ModelNotFound, resolve_model
from kernelwright.commands import options as opt
from kernelwright.config.commands import GrpoCommand, SftCommand
from kernelwright.config.options import ConfigPath, command_config
from kernelwright.console import err, error, out
from kernelwright.console import fail as _fail
from kernelwright.db import Store
from kernelwright.rl.trainers.common import TrainingReport
from kernelwright.rl.trainers.options import GrpoOptions
from kernelwright.settings import Settings
from kernelwright.tasks.errors import TaskLoadError
from kernelwright.tasks.model import Task
from kernelwright.tasks.registry import resolve_task
from kernelwright.views.safe_text import untrusted

app = typer.Typer(help="Fine-tune the kernel-writing model from stored traces.", no_args_is_help=True)


LOG_NAME = "train.log"


@contextmanager
def _library_output(output_dir: Path, as_json: bool) -> Iterator[Path]:
    """Send what the training libraries print (progress bars, per-step log dicts, deprecation warnings) to
    `<output_dir>/train.log` instead of the terminal, where only our own lines go; on a terminal a one-line status
    says training is under way and where that log is. Yields the log's path."""
    output_dir.mkdir(parents=True, exist_ok=True)
    log_path = output_dir / LOG_NAME
    screen = Console(file=sys.stderr)  # the real stderr, taken before it is redirected
    status: AbstractContextManager[Any] = (
        screen.status(untrusted(f"training (library output: {log_path})"))
        if screen.is_terminal and not as_json else nullcontext())
    with log_path.open("a", encoding="utf-8") as log, status, redirect_stdout(log), redirect_stderr(log), \
            warnings.catch_warnings():
        warnings.simplefilter("default")  # each library warning once, into the log
        yield log_path


def _print_report(report: TrainingReport, as_json: bool) -> None:
    log = Path(report.output_dir) / LOG_NAME
    if as_json:
        print(json.dumps({**report.model_dump(mode="json"), "log": str(log)}))
        return
    loss = "n/a" if report.final_loss is None else f"{report.final_loss:.4f}"
    out.print(untrusted(f"{report.steps} steps, {report.mean_step_s:.3f} s/step, final loss {loss}; model saved to "
                        f"{report.output_dir} (library output: {log})"), soft_wrap=True)


def _local_inputs(model: Path, data: Path | None = None) -> Path:
    """The model folder `model` names (a base's, prepared now on first use, or `model` itself), refusing at once a
    model or data file that is not there: transformers would take a missing folder for a Hugging Face id and retry
    the hub for a minute before saying "check your internet connection". The data is checked first: it is cheap,
    and preparing a base is not."""
    if data is not None and not data.exists():
        raise ValueError(f"training data {data} does not exist (make it with `kernelwright traces export`); "
                         "paths in a --config file are relative to that file")
    try:
        return resolve_model(model, progress=lambda line: err.print(untrusted(line), soft_wrap=True))
    except ModelNotFound as exc:
        raise ValueError(f"{exc}; paths in a --config file are relative to that file") from exc


SFT_KEYS = {"model": "model", "data": "data", "out_dir": "output_dir", "lora": "lora", "lora_r": "lora_r",
            "steps": "max_steps", "epochs": "epochs", "batch_size": "batch_size", "lr": "learning_rate",
            "max_length": "max_length"}
GRPO_KEYS = {"model": "model", "out_dir": "output_dir", "task": "tasks", "data": "data", "platform": "platform",
             "steps": "max_steps", "generations": "num_generations", "turns": "turns", "gamma": "gamma",
             "max_completion_length": "max_completion_length", "lr": "learning_rate", "temperature": "temperature",
             "beta": "beta", "exemplars": "exemplars", "threads": "eval.threads", "trials": "eval.correctness_trials",
             "workers": "cluster.workers", "ray_address": "cluster.address", "seed": "seed"}

# What `sft` and `grpo` share.
StartModel = Annotated[Path | None, typer.Option(help="a base model's name (`kernelwright models list`) or a model "
                                                 "folder (weights + tokenizer) to start from")]
TrainedModelOut = Annotated[Path | None, typer.Option("--out", help="where the trained model is saved")]
LearningRate = Annotated[float, typer.Option(help="learning rate")]


@app.command("sft")
def sft_cmd(
    ctx: typer.Context,
    config_file: ConfigPath = None,
    model: StartModel = None,
    data: Annotated[Path | None, typer.Option(help="an SFT export (JSONL or a `datasets` folder)")] = None,
    out_dir: TrainedModelOut = None,
    lora: Annotated[bool, typer.Option("--lora", help="train a LoRA adapter (PEFT), merged in when saved")] = False,
    lora_r: Annotated[int, typer.Option(help="LoRA rank")] = 16,
    steps: Annotated[int, typer.Option(help="optimizer steps (-1: --epochs epochs)")] = -1,
    epochs: Annotated[float, typer.Option(help="epochs when --steps is -1")] = 1.0,
    batch_size: Annotated[int, typer.Option(help="examples per step")] = 1,
    lr: LearningRate = 2e-5,
    max_length: Annotated[int, typer.Option(help="tokens per example (longer ones are truncated)")] = 4096,
    as_json: Annotated[bool, opt.json_flag("print the report as JSON")] = False,
) -> None:
    """Supervised fine-tuning with TRL's SFTTrainer (+ PEFT LoRA with --lora)."""
    try:
        options = command_config(ctx, SftCommand, SFT_KEYS, config_file)
        options = options.model_copy(update={"model": _local_inputs(options.model, options.data)})
    except (ValueError, OSError) as exc:  # a ConfigError or ModelNotFound too; OSError: preparing a base
        raise _fail(str(exc), as_json) from exc
    try:
        # Library output goes to the log; stdout is for the result (one JSON object with --json). Imported inside,
        # so that the libraries' log handlers bind to the log.
        with _library_output(options.output_dir, as_json):
            from kernelwright.rl.trainers.sft import train_sft

            report = train_sft(options)
    except (ImportError, ValueError, OSError) as exc:
        raise _fail(f"{exc} (library output: {options.output_dir / LOG_NAME})", as_json) from exc
    _print_report(report, as_json)


def _grpo_tasks(refs: list[str], data: Path | None) -> list[Task]:
    if data is not None:
        refs = [*refs, *(json.loads(line)["task_id"] for line in data.read_text().splitlines() if line.strip())]
    return [resolve_task(ref) for ref in dict.fromkeys(refs)]


@app.command("grpo")
def grpo_cmd(
    ctx: typer.Context,
    config_file: ConfigPath = None,
    model: StartModel = None,
    out_dir: TrainedModelOut = None,
    task: Annotated[list[str] | None, typer.Option(help="a task (suite id or file) to train on; repeatable")] = None,
    data: Annotated[Path | None, typer.Option(help="a GRPO export (its task ids are added to --task)")] = None,
    platform: opt.Platform = "cpu",
    steps: Annotated[int, typer.Option(help="optimizer steps (one prompt group each)")] = 10,
    generations: Annotated[int, typer.Option(help="completions per prompt (with --turns > 1: trajectories per "
                                             "task)")] = 4,
    turns: Annotated[int, typer.Option(help="turns per trajectory (1: single-prompt GRPO; more: multi-turn, "
                                       "feedback in each next prompt)")] = 1,
    gamma: Annotated[float, typer.Option(help="discount of later turns' rewards: R_t = r_t + gamma R_{t+1}")]
    = 0.4,
    max_completion_length: Annotated[int, typer.Option(help="max tokens per completion")] = 1024,
    lr: LearningRate = 1e-6,
    temperature: opt.Temperature = 1.0,
    beta: Annotated[float, typer.Option(help="KL weight against the starting model")] = 0.0,
    exemplars: Annotated[int, typer.Option(help="earlier candidates shown per prompt")] = 2,
    threads: opt.Threads = None,
    trials: opt.Trials = 3,
    workers: opt.Workers = None,
    ray_address: opt.RayAddress = None,
    seed: Annotated[int, typer.Option(help="seed")] = 0,
    as_json: Annotated[bool, opt.json_flag("print the report as JSON")] = False,
    db_url: opt.DbUrl = None,
) -> None:
    """GRPO with TRL: the agents' prompts, the evaluator (on Ray) as reward, every rollout stored."""
    try:
        command = command_config(ctx, GrpoCommand, GRPO_KEYS, config_file)
        command = command.model_copy(update={"model": _local_inputs(command.model, command.data)})
        tasks = _grpo_tasks(command.tasks, command.data)
    except (TaskLoadError, ValueError, OSError) as exc:  # a ConfigError or ModelNotFound too
        raise _fail(str(exc), as_json) from exc
    if not tasks:
        raise _fail("give at least one --task (or --data with a GRPO export)", as_json)
    options = GrpoOptions.model_validate(command.model_dump(exclude={"tasks", "data"}))
    store = Store(db_url or Settings().db_url)
    try:
        with _library_output(options.output_dir, as_json):  # as for sft
            from kernelwright.rl.trainers.grpo import train_grpo

            report = train_grpo(options, tasks, store)
    except (ImportError, ValueError, OSError) as exc:
        raise _fail(f"{exc} (library output: {options.output_dir / LOG_NAME})", as_json) from exc
    finally:
        store.close()
    _print_report(report, as_json)
    if not as_json:
        out.print(f"{report.rollouts} rollouts stored in train run {report.run_id}", highlight=False)
        for k, step in enumerate(report.returns, 1):
            out.print(untrusted(f"step {k} ({step.task_id}): mean return {step.mean_return:.3f} ± "
                                f"{step.return_std:.3f}"), highlight=False)


@app.command("openai")
def openai_cmd(
    model: Annotated[str, typer.Option(help="base model to fine-tune, e.g. gpt-4o-mini-2024-07-18")],
    data: Annotated[Path, typer.Option(help="an export made with --format openai")],
    suffix: Annotated[str | None, typer.Option(help="suffix of the fine-tuned model's name")] = None,
    epochs: Annotated[int | None, typer.Option(help="training epochs (default: OpenAI's choice)")] = None,
    base_url: opt.BaseUrl = None,
    api_key_env: opt.ApiKeyEnv = "OPENAI_API_KEY",
    wait: Annotated[bool, typer.Option("--wait", help="poll the job until it succeeds, fails or is cancelled")]
    = False,
    poll: Annotated[float, typer.Option(help="seconds between polls with --wait")] = 30.0,
    as_json: Annotated[bool, opt.json_flag("print the final job state as JSON")] = False,
) -> None:
    """Upload the SFT data and create an OpenAI fine-tuning job."""
    import openai

    from kernelwright.rl.trainers.openai_ft import OpenAIFineTuneOptions, start_fine_tune, wait_for_job

    options = OpenAIFineTuneOptions(model=model, data=data, suffix=suffix, epochs=epochs, base_url=base_url,
                                    api_key_env=api_key_env, poll_s=poll)
    try:
        state = start_fine_tune(options)
        # A job's state (its model name, its error) is the fine-tuning service's text: shown, never as markup.
        if not as_json:
            out.print(untrusted(state.line()))
        if wait:
            state = wait_for_job(options, state.id, lambda s: None if as_json else err.print(untrusted(s.line())))
    except (ValueError, OSError) as exc:
        raise _fail(str(exc), as_json) from exc
    except openai.OpenAIError as exc:
        if as_json:
            print(json.dumps({"error": str(exc)}))
        else:
            error(exc)
        raise typer.Exit(code=1) from exc
    if as_json:
        print(json.dumps(state.model_dump(mode="json")))
    if wait and state.status.value != "succeeded":
        raise typer.Exit(code=1)
