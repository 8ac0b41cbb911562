"""A small OpenAI-compatible server that replays recorded replies: for dry runs, demos and tests.

A trajectory is a YAML or JSON list of entries ``{reply: str, match: str?, delay_s: float?,
status: int?}``. Each chat-completion request takes the first unused entry whose ``match`` (if
any) occurs in the request's last user message; an entry with a ``status`` answers with that HTTP
error instead, and ``delay_s`` holds the answer back (to provoke client timeouts). When no entry
fits, the server answers 404 with an explanation, so a test sees exactly which request was
unexpected. Point any client at ``http://127.0.0.1:PORT/v1``.

A server can also play a rate-limited provider: ``throttle=K`` answers the first K requests with
429 Too Many Requests (with a ``Retry-After: retry_after_s`` header when that is given) before any
entry is served; throttled requests use no entry.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict


class ReplayEntry(BaseModel):
    """One recorded reply."""

    model_config = ConfigDict(extra="forbid")

    reply: str = ""
    match: str | None = None
    delay_s: float = 0.0
    status: int | None = None


class ReplayServer:
    """Serves a trajectory on 127.0.0.1 from a background thread; use as a context manager."""

    def __init__(self, entries: list[ReplayEntry], *, throttle: int = 0, retry_after_s: float | None = None) -> None:
        """Serve ``entries``; the first ``throttle`` requests get 429, with ``Retry-After`` if ``retry_after_s``."""
        self.entries = entries
        self.throttle = throttle
        self.retry_after_s = retry_after_s
        self._throttle_left = throttle
        self.used = [False] * len(entries)
        self.requests: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @classmethod
    def from_file(cls, path: Path, *, throttle: int = 0, retry_after_s: float | None = None) -> ReplayServer:
        """A server for the trajectory in a YAML or JSON file."""
        entries = [ReplayEntry.model_validate(e) for e in yaml.safe_load(path.read_text())]
        return cls(entries, throttle=throttle, retry_after_s=retry_after_s)

    @property
    def api_base(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def throttled(self) -> bool:
        """Whether this request is one of the first ``throttle`` (counting it)."""
        with self._lock:
            if self._throttle_left <= 0:
                return False
            self._throttle_left -= 1
            return True

    def take(self, prompt: str) -> ReplayEntry | None:
        """The first unused entry matching ``prompt``, marked used."""
        with self._lock:
            for index, entry in enumerate(self.entries):
                if not self.used[index] and (entry.match is None or entry.match in prompt):
                    self.used[index] = True
                    return entry
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append(body)
                if server.throttled():
                    wait = {} if server.retry_after_s is None else {"Retry-After": f"{server.retry_after_s:g}"}
                    self._send(429, {"error": {"message": "rate limited (replay throttle)"}}, wait)
                    return
                users = [m.get("content", "") for m in body.get("messages", []) if m.get("role") == "user"]
                entry = server.take(users[-1] if users else "")
                if entry is None:
                    self._send(404, {"error": {"message": "no recorded reply matches this request"}})
                    return
                time.sleep(entry.delay_s)
                if entry.status is not None:
                    self._send(entry.status, {"error": {"message": entry.reply or "recorded error"}})
                    return
                self._send(200, _completion(body.get("model", "replay"), entry.reply))

            def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "replay",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 100, "completion_tokens": max(1, len(text) // 4), "total_tokens": 100},
    }
