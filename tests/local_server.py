"""The lifecycle every test server shares: a real HTTP server on 127.0.0.1 (never any other address) on
its own thread, which stops by itself after `max_requests` requests or `lifetime_s` seconds, or when the
test leaves its `with` block. Subclasses answer requests and count them in `served`."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class BoundedServer:
    def __init__(self, handler: type[BaseHTTPRequestHandler], max_requests: int, lifetime_s: float):
        self.max_requests, self.lifetime_s = max_requests, lifetime_s
        self.served = 0
        self.stop = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.owner = self  # a handler reaches its server's state as self.server.owner
        self.httpd.daemon_threads = True
        self.httpd.timeout = 0.1
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def _serve(self) -> None:
        deadline = time.monotonic() + self.lifetime_s
        while not self.stop.is_set() and time.monotonic() < deadline and self.served < self.max_requests:
            self.httpd.handle_request()
        self.httpd.server_close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=10)
