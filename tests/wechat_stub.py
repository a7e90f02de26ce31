"""A local stand-in for WeChat's server APIs (we cannot reach WeChat from tests).

jscode2session: codes steer its answers: ``ok-<id>`` → openid ``o-<id>``; ``ok-<id>.u-<u>``
→ openid ``o-<id>`` and unionid ``u-<u>`` (as WeChat sends it for a mini-program bound to an
open-platform account); ``used`` → 40163;
``bad`` → 40029; ``limit`` → 45011; ``busy`` → -1; ``crash`` → HTTP 502; ``slow`` → after 3 s.

cgi-bin/token hands out a new access token each time; msg_sec_check and subscribe/send accept
only the newest (40001 otherwise; 42001 once `expire_token` retired it). subscribe/send keeps
what it accepted (`subscribe_messages`) and answers 43101 for an openid starting ``o-nosub``;
`going_down` makes every endpoint answer HTTP 502 until it ends. msg_sec_check's content
steers its verdict: ``RISKY<word>`` → risky, politics (20001), keyword ``<word>``;
``REVIEW`` → review, fraud (20008); ``CRASH`` → HTTP 502; ``SLOW`` → passes after 0.15 s;
anything else passes.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

APPID = "wx-test-appid"
SECRET = "wx-test-secret"
SESSION_KEY = "secret-session-key"  # what must never reach a log or a response

_ERRORS = {
    "bad": (40029, "invalid code"),
    "used": (40163, "code been used"),
    "limit": (45011, "api minute-quota reach limit"),
    "busy": (-1, "system error"),
}


_tokens = {"issued": 0}
_state: dict[str, object] = {"down": False, "expired": None}
_sent: list[dict[str, object]] = []
_lock = threading.Lock()


def token_fetches() -> int:
    """How many access tokens the stub has handed out so far."""
    return _tokens["issued"]


def expire_token() -> None:
    """WeChat expires the current token early: calls with it answer 42001."""
    _state["expired"] = f"token-{_tokens['issued']}"


def subscribe_messages(touser: str) -> list[dict[str, object]]:
    """The subscribe messages accepted for ``touser``, oldest first."""
    with _lock:
        return [m for m in _sent if m["touser"] == touser]


@contextlib.contextmanager
def going_down() -> Iterator[None]:
    """WeChat is down (HTTP 502 everywhere) while the block runs."""
    _state["down"] = True
    try:
        yield
    finally:
        _state["down"] = False


_RISKY_RE = re.compile(r"RISKY(\w+)")


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *_args: object) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if _state["down"]:
            self._send(502, {"errmsg": "bad gateway"})
            return
        if url.path == "/cgi-bin/message/subscribe/send":
            self._subscribe_send(q)
            return
        if url.path != "/wxa/msg_sec_check":
            self._send(404, {"errcode": 404, "errmsg": "not found"})
            return
        if q.get("access_token") != f"token-{_tokens['issued']}":
            self._send(200, {"errcode": 40001, "errmsg": "invalid credential"})
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if body.get("version") != 2 or not body.get("openid"):
            self._send(200, {"errcode": 47001, "errmsg": "data format error"})
            return
        content = str(body.get("content", ""))
        risky = _RISKY_RE.search(content)
        if "SLOW" in content:
            time.sleep(0.15)
        if "CRASH" in content:
            self._send(502, {"errmsg": "bad gateway"})
        elif risky:
            detail = [{"strategy": "keyword", "errcode": 0, "suggest": "risky", "label": 20001,
                       "keyword": risky.group(1)}]  # fmt: skip
            self._send(200, {"errcode": 0, "result": {"suggest": "risky", "label": 20001},
                             "detail": detail})  # fmt: skip
        elif "REVIEW" in content:
            self._send(200, {"errcode": 0, "result": {"suggest": "review", "label": 20008}})
        else:
            self._send(200, {"errcode": 0, "result": {"suggest": "pass", "label": 100}})

    def _subscribe_send(self, q: dict[str, str]) -> None:
        token = q.get("access_token")
        if token is not None and token == _state["expired"]:
            self._send(200, {"errcode": 42001, "errmsg": "access_token expired"})
            return
        if token != f"token-{_tokens['issued']}":
            self._send(200, {"errcode": 40001, "errmsg": "invalid credential"})
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        touser = str(body.get("touser", ""))
        if not touser or not body.get("template_id") or not isinstance(body.get("data"), dict):
            self._send(200, {"errcode": 47003, "errmsg": "argument invalid"})
        elif touser.startswith("o-nosub"):
            self._send(200, {"errcode": 43101, "errmsg": "user refuse to accept the msg"})
        else:
            with _lock:
                _sent.append(body)
            self._send(200, {"errcode": 0, "errmsg": "ok"})

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if _state["down"]:
            self._send(502, {"errmsg": "bad gateway"})
            return
        if url.path == "/cgi-bin/token":
            if q.get("appid") != APPID or q.get("secret") != SECRET:
                self._send(200, {"errcode": 40125, "errmsg": "invalid appsecret"})
                return
            _tokens["issued"] += 1
            self._send(200, {"access_token": f"token-{_tokens['issued']}", "expires_in": 7200})
            return
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
            ident, _, union = code[3:].partition(".u-")
            answer = {"openid": "o-" + ident, "session_key": SESSION_KEY}
            self._send(200, answer | ({"unionid": "u-" + union} if union else {}))
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


def main() -> None:
    """``python -m tests.wechat_stub [PORT]``: the stub on 127.0.0.1 for offline work
    (docs/accounts.md, "WeChat locally")."""
    import sys

    server = ThreadingHTTPServer(
        ("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 0), _Handler
    )
    print(f"WeChat stub on http://127.0.0.1:{server.server_address[1]}", flush=True)
    print(f"KEPU_WECHAT_APPID={APPID} KEPU_WECHAT_SECRET={SECRET}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    server.server_close()


if __name__ == "__main__":
    main()
