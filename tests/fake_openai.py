"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat API with scripted replies.

Each POST to /v1/chat/completions takes the next scripted `Reply`: text (sent as one JSON response, or as
server-sent events when the request asks to stream) or an HTTP error status. Requests are recorded so tests
can check what each prompt carried. A reply can also wait on an event, to hold a turn open.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    reasoning: str | None = None
    retry_after: float | None = None
    hold: threading.Event | None = None  # wait for this before answering


@dataclass
class FakeOpenAI:
    """Start with `with FakeOpenAI([...]) as server:`; `server.base_url` goes to `--base-url`."""

    script: list[Reply]
    requests: list[dict[str, Any]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.queue: deque[Reply] = deque(self.script)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def user_prompts(self) -> list[str]:
        """The user message of every chat request, in arrival order."""
        return [next(m["content"] for m in r["messages"] if m["role"] == "user") for r in self.requests]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as real servers (uvicorn, vLLM, llama.cpp) do: a client must cope with reused connections.
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return None

            def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                if self.path.rstrip("/").endswith("/models"):
                    self._json(200, {"object": "list", "data": [{"id": "fake-coder", "object": "model",
                                                                  "created": 0, "owned_by": "tests"}]})
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                with fake.lock:
                    fake.requests.append(body)
                    reply = fake.queue.popleft() if fake.queue else Reply(text="(script exhausted)")
                fake.arrived.set()
                if reply.hold is not None:
                    reply.hold.wait(timeout=120)
                if reply.status != 200:
                    headers = {"Retry-After": str(reply.retry_after)} if reply.retry_after is not None else {}
                    self._json(reply.status, {"error": {"message": f"scripted {reply.status}", "type": "test"}},
                               headers)
                    return
                usage = {"prompt_tokens": sum(len(m["content"]) // 4 for m in body["messages"]),
                         "completion_tokens": len(reply.text) // 4}
                usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
                if body.get("stream"):
                    self._stream(body, reply, usage)
                    return
                message: dict[str, Any] = {"role": "assistant", "content": reply.text}
                if reply.reasoning:
                    message["reasoning_content"] = reply.reasoning
                self._json(200, {"id": "chatcmpl-test", "object": "chat.completion", "created": 0,
                                 "model": body["model"], "usage": usage,
                                 "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]})

            def _stream(self, body: dict[str, Any], reply: Reply, usage: dict[str, int]) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")  # no length: the stream ends with the connection
                self.end_headers()
                self.close_connection = True
                base = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 0,
                        "model": body["model"]}
                pieces = [reply.text[i:i + 40] for i in range(0, len(reply.text), 40)] or [""]
                events = []
                if reply.reasoning:
                    events.append({"index": 0, "delta": {"role": "assistant", "reasoning_content": reply.reasoning},
                                   "finish_reason": None})
                events += [{"index": 0, "delta": {"content": p}, "finish_reason": None} for p in pieces]
                events.append({"index": 0, "delta": {}, "finish_reason": "stop"})
                for choice in events:
                    self.wfile.write(f"data: {json.dumps({**base, 'choices': [choice]})}\n\n".encode())
                if (body.get("stream_options") or {}).get("include_usage"):
                    self.wfile.write(f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
