"""A local stand-in for WeChat's jscode2session endpoint (we cannot reach WeChat from tests).

Codes steer its answers: ``ok-<id>`` → openid ``o-<id>``; ``used`` → 40163; ``bad`` → 40029;
``limit`` → 45011; ``busy`` → -1; ``crash`` → HTTP 502; ``slow`` → answers after 3 s.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

APPID = "wx-test-appid"
SECRET = "wx-test-secret"

_ERRORS = {
    "bad": (40029, "invalid code"),
    "used": (40163, "code been used"),
    "limit": (45011, "api minute-quota reach limit"),
    "busy": (-1, "system error"),
}


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/sns/jscode2session":
            self._send(404, {"errcode": 404, "errmsg": "not found"})
            return
        if q.get("appid") != APPID or q.get("secret") != SECRET:
            self._send(200, {"errcode": 40125, "errmsg": "invalid appsecret"})
            return
        code = q.get("js_code", "")
        if code == "crash":
            self._send(502, {"errmsg": "bad gateway"})
        elif code == "slow":
            time.sleep(3)
            self._send(200, {"openid": "o-slow", "session_key": "k"})
        elif code in _ERRORS:
            errcode, errmsg = _ERRORS[code]
            self._send(200, {"errcode": errcode, "errmsg": errmsg})
        elif code.startswith("ok-"):
            self._send(200, {"openid": "o-" + code[3:], "session_key": "secret-session-key"})
        else:
            self._send(200, {"errcode": 40029, "errmsg": "invalid code"})

    def _send(self, status: int, body: dict[str, object]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        # WeChat answers JSON labelled text/plain; the client must not rely on the header.
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@contextlib.contextmanager
def run_wechat_stub() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
