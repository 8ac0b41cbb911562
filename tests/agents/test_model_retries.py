"""Model-call retries through the real litellm HTTP path against the replay server; no test sleeps."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from agents import model_client
from agents.model_client import JITTER, MAX_RETRY_AFTER_S, ModelClient, ModelError
from agents.model_config import ModelConfig
from agents.replay_server import ReplayEntry, ReplayServer

MESSAGES = [{"role": "user", "content": "write a kernel"}]


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays the client would have slept, in order; nothing actually waits."""
    recorded: list[float] = []
    monkeypatch.setattr(model_client, "_sleep", recorded.append)
    return recorded


def client(server: ReplayServer, cache_dir: Path | None = None, **overrides: object) -> ModelClient:
    settings = {"max_retries": 4, "backoff_s": 0.5, **overrides}
    config = ModelConfig(model="openai/replay", api_base=server.api_base, api_key="t", timeout_s=5, **settings)
    return ModelClient(config, cache_dir=cache_dir)


def test_retry_after_is_obeyed_and_the_third_request_succeeds(sleeps: list[float], tmp_path: Path, caplog):
    with ReplayServer([ReplayEntry(reply="done")], throttle=2, retry_after_s=2) as server:
        model = client(server, cache_dir=tmp_path)
        with caplog.at_level(logging.WARNING, logger="agents.model_client"):
            reply = model.complete(MESSAGES, temperature=0.0)
        again = model.complete(MESSAGES, temperature=0.0)
    assert reply.text == "done"
    assert sleeps == [2.0, 2.0]
    assert len(server.requests) == 3
    assert reply.usage.requests == 1 and reply.usage.prompt_tokens == 100
    assert [r.getMessage() for r in caplog.records] == ["openai/replay: RateLimitError; retrying in 2.0 s"] * 2
    assert again.text == "done" and again.usage.cached_requests == 1 and again.usage.requests == 0


def test_a_long_retry_after_is_capped(sleeps: list[float]):
    with ReplayServer([ReplayEntry(reply="done")], throttle=1, retry_after_s=3600) as server:
        assert client(server).complete(MESSAGES, temperature=0.0).text == "done"
    assert sleeps == [MAX_RETRY_AFTER_S]


def test_without_retry_after_the_backoff_doubles_with_jitter(sleeps: list[float]):
    with ReplayServer([ReplayEntry(reply="done")], throttle=3) as server:
        reply = client(server, backoff_s=0.5).complete(MESSAGES, temperature=0.0)
    assert reply.text == "done" and reply.usage.requests == 1
    assert len(sleeps) == 3
    for i, slept in enumerate(sleeps):
        base = 0.5 * 2**i
        assert base * (1 - JITTER) <= slept <= base * (1 + JITTER)


def test_after_max_retries_the_error_counts_the_attempts(sleeps: list[float]):
    with (
        ReplayServer([ReplayEntry(reply="never")], throttle=10) as server,
        pytest.raises(ModelError, match=r"openai/replay: RateLimitError after 3 attempts"),
    ):
        client(server, max_retries=2).complete(MESSAGES, temperature=0.0)
    assert len(sleeps) == 2
    assert len(server.requests) == 3


def test_a_bad_request_is_not_retried(sleeps: list[float]):
    entries = [ReplayEntry(status=400, reply="malformed"), ReplayEntry(reply="unused")]
    with ReplayServer(entries) as server, pytest.raises(ModelError, match="BadRequestError") as caught:
        client(server).complete(MESSAGES, temperature=0.0)
    assert "attempts" not in str(caught.value)
    assert sleeps == []
    assert len(server.requests) == 1
