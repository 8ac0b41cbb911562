"""Every model call goes through here: litellm, retries with backoff, a disk cache, usage accounting."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from functools import cache
from pathlib import Path
from types import ModuleType

from pydantic import BaseModel

from agents.budget import Usage
from agents.model_config import ModelConfig

log = logging.getLogger(__name__)


@cache
def _litellm() -> ModuleType:
    """litellm, imported on first use (it takes seconds) and told never to fetch its price list."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True  # errors reach the user as ModelError, without litellm's banner
    return litellm


def _retryable() -> tuple[type[Exception], ...]:
    litellm = _litellm()
    return (
        litellm.RateLimitError,
        litellm.Timeout,
        litellm.APIConnectionError,
        litellm.ServiceUnavailableError,
        litellm.InternalServerError,
        litellm.BadGatewayError,
    )


class ModelError(RuntimeError):
    """The model could not be reached or refused the request, after retries."""


class ModelReply(BaseModel):
    """One completion and what it cost."""

    text: str
    usage: Usage


class ModelClient:
    """Calls one model through litellm, caching replies on disk by request."""

    def __init__(self, config: ModelConfig, cache_dir: Path | None = None) -> None:
        self.config = config
        self.cache_dir = cache_dir

    def complete(self, messages: list[dict[str, str]], *, temperature: float, sample: int = 0) -> ModelReply:
        """One reply to ``messages``; ``sample`` tells repeated requests apart in the cache."""
        key = self._key(messages, temperature, sample)
        cached = self._read_cache(key)
        if cached is not None:
            return ModelReply(text=cached, usage=Usage(cached_requests=1))
        response = self._call_with_retries(messages, temperature)
        text = response.choices[0].message.content or ""
        usage = Usage(
            prompt_tokens=response.usage.prompt_tokens,
            completion_tokens=response.usage.completion_tokens,
            cost=self._cost(response),
            requests=1,
        )
        self._write_cache(key, text)
        return ModelReply(text=text, usage=usage)

    def _call_with_retries(self, messages: list[dict[str, str]], temperature: float):
        config = self.config
        litellm = _litellm()
        delay = config.backoff_s
        for attempt in range(config.max_retries + 1):
            try:
                return litellm.completion(
                    model=config.model,
                    messages=messages,
                    temperature=temperature,
                    max_tokens=config.max_tokens,
                    timeout=config.timeout_s,
                    api_base=config.api_base,
                    api_key=config.api_key,
                    mock_response=config.mock_response,
                    max_retries=0,  # retries are ours, with backoff and accounting
                )
            except _retryable() as exc:
                if attempt == config.max_retries:
                    reason = f"{type(exc).__name__} after {attempt + 1} attempts"
                    raise ModelError(f"{config.model}: {reason}: {exc}") from exc
                log.warning("%s: %s; retrying in %.1f s", config.model, type(exc).__name__, delay)
                time.sleep(delay)
                delay *= 2
            except Exception as exc:  # anything else the provider raises ends this request, not the run
                raise ModelError(f"{config.model}: {type(exc).__name__}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def _cost(self, response) -> float:
        try:
            return float(_litellm().completion_cost(completion_response=response))
        except Exception:  # a model without price data (local servers) costs nothing
            return 0.0

    def _key(self, messages: list[dict[str, str]], temperature: float, sample: int) -> str:
        request = {
            "model": self.config.model,
            "api_base": self.config.api_base,
            "messages": messages,
            "temperature": temperature,
            "max_tokens": self.config.max_tokens,
            "sample": sample,
        }
        return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()

    def _read_cache(self, key: str) -> str | None:
        if self.cache_dir is None:
            return None
        path = self.cache_dir / f"{key}.json"
        try:
            return json.loads(path.read_text())["text"]
        except (OSError, ValueError, KeyError):
            return None

    def _write_cache(self, key: str, text: str) -> None:
        if self.cache_dir is None:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_dir / f".{key}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"text": text}))
        tmp.replace(self.cache_dir / f"{key}.json")
