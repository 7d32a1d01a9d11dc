"""A loopback HTTP server speaking OpenAI's files and fine-tuning API: /v1/files, /v1/fine_tuning/jobs(/{id}).

An uploaded file is parsed and kept; a created job walks through `statuses` one step per retrieve.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeFineTuning:
    """Start with `with FakeFineTuning() as server:`; `server.base_url` goes to `--base-url`."""

    statuses: list[str] = field(default_factory=lambda: ["validating_files", "queued", "running", "succeeded"])
    files: dict[str, bytes] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> FakeFineTuning:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _job_body(self, job: dict[str, Any]) -> dict[str, Any]:
        status = self.statuses[min(job["polls"], len(self.statuses) - 1)]
        done = status == "succeeded"
        return {"id": job["id"], "object": "fine_tuning.job", "created_at": 0, "model": job["model"],
                "organization_id": "org-test", "result_files": [], "seed": 0, "status": status,
                "training_file": job["training_file"], "hyperparameters": {"n_epochs": "auto"},
                "fine_tuned_model": f"ft:{job['model']}:kw" if done else None,
                "trained_tokens": 1234 if done else None, "finished_at": 1 if done else None, "error": None,
                "validation_file": None}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return None

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> bytes:
                return self.rfile.read(int(self.headers.get("Content-Length", "0")))

            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                fake.auth.append(self.headers.get("Authorization", ""))
                path = self.path.rstrip("/")
                if path.endswith("/files"):
                    raw = self._body()
                    # The multipart body: the uploaded JSONL sits between the part headers and the boundary.
                    match = re.search(rb'name="file"; filename="[^"]*"\r\n(?:[^\r\n]+\r\n)*\r\n(.*?)\r\n--', raw,
                                      re.DOTALL)
                    purpose = re.search(rb'name="purpose"\r\n\r\n([^\r\n]+)', raw)
                    with fake.lock:
                        file_id = f"file-{len(fake.files) + 1}"
                        fake.files[file_id] = match.group(1) if match else b""
                    self._json(200, {"id": file_id, "object": "file", "bytes": len(raw), "created_at": 0,
                                     "filename": "train.jsonl", "status": "processed",
                                     "purpose": purpose.group(1).decode() if purpose else ""})
                elif path.endswith("/fine_tuning/jobs"):
                    body = json.loads(self._body())
                    with fake.lock:
                        fake.created.append(body)
                        if body["training_file"] not in fake.files:
                            self._json(400, {"error": {"message": "unknown file", "type": "invalid_request"}})
                            return
                        job = {"id": f"ftjob-{len(fake.jobs) + 1}", "model": body["model"],
                               "training_file": body["training_file"], "polls": 0}
                        fake.jobs[job["id"]] = job
                    self._json(200, fake._job_body(job))
                else:
                    self._json(404, {"error": {"message": "not found"}})

            def do_GET(self) -> None:  # noqa: N802
                match = re.search(r"/fine_tuning/jobs/([^/?]+)$", self.path)
                job = fake.jobs.get(match.group(1)) if match else None
                if job is None:
                    self._json(404, {"error": {"message": "no such job"}})
                    return
                with fake.lock:
                    job["polls"] += 1
                self._json(200, fake._job_body(job))

        return Handler
