"""A loopback webhook for Apprise's json:// URLs: records what each path received."""

from __future__ import annotations

import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Webhook:
    """What a receiver on 127.0.0.1 got, by path; ``script`` answers a path's next POSTs."""

    port: int = 0
    script: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # Every POST by path, whatever it was answered; ``delivered``: those answered 200.
    requests: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    delivered: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def url(self, path: str) -> str:
        """The json:// Apprise URL of ``path`` on this receiver."""
        return f"json://127.0.0.1:{self.port}{path}"


@contextmanager
def running_webhook(hook: Webhook | None = None) -> Iterator[Webhook]:
    """A threaded HTTP server on 127.0.0.1 recording every JSON POST into ``hook`` (or anew)."""
    hook = hook or Webhook()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with lock:
                hook.requests[self.path].append(payload)
                script = hook.script[self.path]
                status = script.pop(0) if script else 200
                if status == 200:
                    hook.delivered[self.path].append(payload)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
