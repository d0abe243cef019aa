"""Start real server processes (gunicorn) for tests that need more than one process."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_serving(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    """Poll until the server answers; a slow answer or refused connection just means "not yet".

    On a busy machine a first request can take longer than any per-request timeout, so
    only the overall deadline (or the process dying) ends the wait.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                response.read()
            return
        except urllib.error.HTTPError:
            return  # it answered, if only with an error page: it is serving
        except OSError:  # URLError, ConnectionError, TimeoutError, socket.timeout
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server did not start") from None
            time.sleep(0.2)


@contextmanager
def gunicorn(env: dict, workers: int = 1, port: int | None = None):
    """Serve the app on a free port; yield its base URL; stop it afterwards."""
    port = port or free_port()
    full_env = {**os.environ, "AGENDA_SESSION_COOKIE_SECURE": "false", **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "agenda:create_app()"],
        env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base + "/login", proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()


class Browser:
    """A tiny cookie-keeping HTTP client that fills in CSRF tokens, like a person's browser."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, url, data=None, headers=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        req = urllib.request.Request(url, body, headers or {})
        try:
            with self.opener.open(req, timeout=60) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            text = e.read().decode()
            e.close()
            return e.code, text

    def csrf_token(self, page_url) -> str:
        _, html = self.request(page_url)
        return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)

    def post_form(self, page_url, data, action=None):
        token = self.csrf_token(page_url)
        return self.request(action or page_url, {**data, "csrf_token": token})


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
