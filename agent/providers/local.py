"""`local:PATH`: generate with a model from a local folder via `transformers` (a trained checkpoint, say), or
`local:NAME` with a prepared base model (`kernelwright models prepare NAME`).

`--provider local:PATH` drives `optimize` (and `bench`) with a checkpoint written by `kernelwright train`, with no
server. `transformers` is imported on first use, so the agent works without the `train` extra until this
provider is asked for. The model runs on the GPU when there is one, else on the CPU; one generation at a time
(parallel trajectories queue), in a worker thread so the event loop keeps serving evaluations.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from kernelwright.agent.models import BASES, ModelNotFound, base_path, gguf_file, is_base_name, prepare, resolve_model
from kernelwright.agent.providers.base import (
    ChatMessage,
    Completion,
    CompletionContext,
    Provider,
    ProviderConfig,
    ProviderError,
)

INSTALL_HINT = "install the train extra: pip install -c constraints.txt -e '.[train]'"


class LocalProvider(Provider):
    """Chat completions from a causal LM saved with `save_pretrained` (model + tokenizer with a chat template)."""

    name = "local"

    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        try:
            if is_base_name(config.model):
                # Refused now if its package is missing; prepared, if it is not yet, when the model is first
                # loaded (`check`), in a worker thread.
                gguf_file(BASES[config.model])
                self.path = base_path(config.model)
            else:
                self.path = resolve_model(config.model)
        except ModelNotFound as exc:
            raise ProviderError(f"{exc}; give --provider local:NAME with a prepared base, or local:PATH with a "
                                "folder written by `kernelwright train` or save_pretrained") from exc
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = asyncio.Lock()

    @property
    def label(self) -> str:
        # A base is stored by its name: the same converted weights wherever the user data folder is.
        return f"local:{self.config.model}" if is_base_name(self.config.model) else f"local:{self.path}"

    def _load(self) -> None:
        if self._model is not None:
            return
        try:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise ProviderError(f"the local provider needs transformers; {INSTALL_HINT}") from exc
        try:
            if is_base_name(self.config.model):
                prepare(self.config.model)  # at once when it is prepared already
            tokenizer = AutoTokenizer.from_pretrained(self.path)
            model = AutoModelForCausalLM.from_pretrained(self.path)
        except (OSError, ValueError) as exc:
            raise ProviderError(f"cannot load the model in {self.path}: {exc}") from exc
        if tokenizer.chat_template is None:
            raise ProviderError(f"the tokenizer in {self.path} has no chat template; save one with the model")
        model.to("cuda" if torch.cuda.is_available() else "cpu").eval()
        self._model, self._tokenizer = model, tokenizer

    async def check(self) -> None:
        """Load the model now, so a bad folder fails before the run starts."""
        await asyncio.to_thread(self._load)

    def _generate(self, messages: list[ChatMessage]) -> tuple[str, int, int]:
        import torch

        self._load()
        tok, model = self._tokenizer, self._model
        ids = tok.apply_chat_template([m.model_dump() for m in messages], add_generation_prompt=True,
                                      return_tensors="pt", return_dict=True)["input_ids"]
        context = int(getattr(model.config, "max_position_embeddings", 0) or ids.shape[1] + self.config.max_tokens)
        max_new = min(self.config.max_tokens, max(1, context // 2))
        # Keep the end of an over-long prompt: the task and the latest feedback are last.
        ids = ids[:, -(context - max_new):].to(model.device)
        sample = self.config.temperature > 0
        kwargs: dict[str, Any] = {"temperature": self.config.temperature} if sample else {}
        with torch.no_grad():
            output = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=max_new,
                                    do_sample=sample, pad_token_id=tok.pad_token_id, **kwargs)
        new = output[0, ids.shape[1]:]
        return tok.decode(new, skip_special_tokens=True), int(ids.shape[1]), int(new.shape[0])

    async def complete(self, messages: list[ChatMessage], context: CompletionContext) -> Completion:
        async with self._lock:
            start = time.perf_counter()
            text, prompt_tokens, completion_tokens = await asyncio.to_thread(self._generate, messages)
        return Completion(text=text, model=self.label, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, latency_s=time.perf_counter() - start)
