"""A local stand-in for SendGrid's /v3/mail/send, driven by the real SDK via SendGridAPIClient(host=...).

Each scripted answer is (status, body, headers, delay). `hold()` makes the next request wait until
`release()` (a request the provider received and is still answering), for the crash test.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "SG.test-key-never-real"


class FakeSendGrid:
    def __init__(self, api_key: str = API_KEY, port: int = 0):
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.script: list[tuple[int, Any, dict[str, str], float]] = []
        self.received = threading.Event()
        self._released = threading.Event()
        self._released.set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append((dict(self.headers), body))
                fake.received.set()
                if self.headers.get("Authorization") != f"Bearer {api_key}":
                    return self._send(401, {"errors": [{"field": None, "message": "authorization required"}]}, {})
                if self.path != "/v3/mail/send":
                    return self._send(404, {"errors": [{"field": None, "message": "not found"}]}, {})
                fake._released.wait(timeout=60)
                if fake.script:
                    status, payload, headers, delay = fake.script.pop(0)
                    time.sleep(delay)
                    return self._send(status, payload, headers)
                self._send(202, None, {"X-Message-Id": uuid.uuid4().hex[:22]})

            def _send(self, status: int, payload: Any, headers: dict[str, str]) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout) or was killed

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, status: int, body: Any = None, headers: dict[str, str] | None = None, delay: float = 0) -> None:
        self.script.append((status, body, headers or {}, delay))

    def hold(self) -> None:
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def __enter__(self) -> FakeSendGrid:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()
