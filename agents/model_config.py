"""Which model to call and how: the settings of every model call."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ModelConfig(BaseModel):
    """Which model to call and how."""

    model_config = ConfigDict(extra="forbid")

    model: str
    """A litellm model string: ``openai/gpt-4o``, ``anthropic/claude-...``, ``openai/<name>`` with api_base."""
    api_base: str | None = None
    """Base URL of an OpenAI-compatible server (vLLM, llama.cpp, a replay server)."""
    api_key: str | None = None
    timeout_s: float = 120.0
    max_retries: int = 4
    backoff_s: float = 2.0
    """First retry delay; doubled after each failure."""
    max_tokens: int = 4096
    mock_response: str | None = None
    """A fixed reply (litellm's mock): for tests and dry runs; no request leaves the machine."""
