"""A local stand-in for SendGrid's /v3/mail/send and its Email Activity search (GET /v3/messages), driven
by the real SDK via SendGridAPIClient(host=...).

Each scripted answer is (status, body, headers, delay). `hold()` makes the next request wait until
`release()` (a request the provider received and is still answering), for the crash test. Every message
it accepts (a 2xx answer) is kept in `accepted` by its cosell outbox id, and a search
`unique_args['cosell_outbox_id']="<id>"` finds it, as SendGrid's does once its activity feed has it.
`lookups` scripts the search's answers the same way (e.g. a 503 while the Activity API is down).
"""

from __future__ import annotations

import json
import re
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "SG.test-key-never-real"
SEARCH = re.compile(r"""^unique_args\['cosell_outbox_id'\]="([^"]*)"$""")


class FakeSendGrid:
    def __init__(self, api_key: str = API_KEY, port: int = 0):
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.script: list[tuple[int, Any, dict[str, str], float]] = []
        self.accepted: dict[str, str] = {}  # outbox id -> msg_id, for each message answered 2xx
        self.searches: list[str] = []  # the Email Activity queries received
        self.lookups: list[tuple[int, Any]] = []  # scripted answers to them, before the real search
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
                status, payload, headers, delay = fake.script.pop(0) if fake.script else (202, None, {}, 0.0)
                if 200 <= status < 300:
                    headers = {"X-Message-Id": uuid.uuid4().hex[:22], **headers}
                    outbox_id = str(body.get("custom_args", {}).get("cosell_outbox_id", ""))
                    fake.accepted[outbox_id] = f"{headers['X-Message-Id']}.fake-filter-1.0"
                time.sleep(delay)
                self._send(status, payload, headers)

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if self.headers.get("Authorization") != f"Bearer {api_key}":
                    return self._send(401, {"errors": [{"field": None, "message": "authorization required"}]}, {})
                if url.path != "/v3/messages":
                    return self._send(404, {"errors": [{"field": None, "message": "not found"}]}, {})
                self._send(*fake.search(urllib.parse.parse_qs(url.query).get("query", [""])[0]), {})

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

    def search(self, query: str) -> tuple[int, Any]:
        """The Email Activity API's answer to `query` (only the one search the sweeper makes is understood)."""
        self.searches.append(query)
        if self.lookups:
            return self.lookups.pop(0)
        found = SEARCH.match(query)
        if found is None:
            return 400, {"errors": [{"field": "query", "message": "invalid query"}]}
        msg_id = self.accepted.get(found.group(1))
        return 200, {"messages": [{"msg_id": msg_id, "status": "delivered"}] if msg_id else []}

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
