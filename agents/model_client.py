"""Every model call goes through here: litellm, retries with backoff, a disk cache, usage accounting.

Retries (tenacity) cover rate limits, timeouts, connection and 5xx errors: at most
``config.max_retries`` of them. Before retry ``i`` (from 0) the client waits what the error's
``Retry-After`` (or ``retry-after-ms``) header says, capped at ``MAX_RETRY_AFTER_S``, or else
``config.backoff_s * 2**i`` scaled by a random factor in ``[1 - JITTER, 1 + JITTER]``.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import random
import time
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import tenacity
from pydantic import BaseModel

from agents.budget import Usage
from agents.model_config import ModelConfig

log = logging.getLogger(__name__)

MAX_RETRY_AFTER_S = 60.0
"""The longest a server's Retry-After is obeyed; a longer one waits this long (and then retries)."""
JITTER = 0.25
"""Backoff delays are scaled by a random factor in ``[1 - JITTER, 1 + JITTER]``."""
_sleep = time.sleep  # the retries' sleep; tests patch it so that they never wait


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


def _retry_after(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` or ``Retry-After``), or None if it did not say."""
    headers = getattr(exc, "litellm_response_headers", None) or getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = lower.get(name, "").strip()
        if not value:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            when = email.utils.parsedate_tz(value)  # Retry-After may also be an HTTP date
            if when is not None:
                return max(0.0, email.utils.mktime_tz(when) - time.time())
    return None


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

    def _call_with_retries(self, messages: list[dict[str, str]], temperature: float) -> Any:
        config = self.config
        litellm = _litellm()
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(config.max_retries + 1),
            wait=self._delay,
            retry=tenacity.retry_if_exception_type(_retryable()),
            before_sleep=self._log_retry,
            sleep=_sleep,
            reraise=True,  # the last error itself, not tenacity's RetryError
        )
        try:
            return retrying(
                litellm.completion,
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
            reason = f"{type(exc).__name__} after {config.max_retries + 1} attempts"
            raise ModelError(f"{config.model}: {reason}: {exc}") from exc
        except Exception as exc:  # anything else the provider raises ends this request, not the run
            raise ModelError(f"{config.model}: {type(exc).__name__}: {exc}") from exc

    def _delay(self, state: tenacity.RetryCallState) -> float:
        """Seconds before the next attempt: the server's Retry-After if it sent one, else jittered backoff."""
        assert state.outcome is not None
        retry_after = _retry_after(state.outcome.exception())
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_S)
        base = self.config.backoff_s * 2 ** (state.attempt_number - 1)
        return base * random.uniform(1 - JITTER, 1 + JITTER)

    def _log_retry(self, state: tenacity.RetryCallState) -> None:
        assert state.outcome is not None and state.next_action is not None
        error = type(state.outcome.exception()).__name__
        log.warning("%s: %s; retrying in %.1f s", self.config.model, error, state.next_action.sleep)

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
