"""`python -m agenda.loadbench`: the demo under load, served by gunicorn on the loopback address.

    python -m agenda.loadbench --database sqlite|postgresql --seconds S --readers R --voters V [--json]

Phase 1, for S seconds: R readers (half anonymous, reading the schedule, schedule.ics and
schedule.json; half logged in, reading My agenda) who pause 2 s between requests, and V voters
who mark one session every second. Phase 2: a closed loop of anonymous schedule and feed requests
with no pause, to find the requests per second sustained with a 95th percentile under 200 ms.
Prints one JSON object (see BENCHMARKS.md). The client is asyncio: one process, many connections.

With --baseline, the same closed loop then runs against a bare Flask app (`bare_app`, as many
gunicorn workers) serving the very bytes and headers the app sent for those addresses: the
limit the public pages' cache can approach on this machine, reported beside them in one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

PASSWORD = "load bench passphrase 2017"  # noqa: S105 (a throwaway benchmark instance)
KINDS = ("schedule", "agenda", "ics", "vote")


# A small HTTP/1.1 client


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class Client:
    """Cookies and one request at a time, on a new connection each (gunicorn's sync workers close it)."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}

    async def request(self, method: str, path: str, data: dict | None = None, accept: str = "text/html",
                      timeout: float = 30) -> Reply:
        body = urlencode(data).encode() if data is not None else b""
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Accept: {accept}",
                "Accept-Encoding: gzip", "Connection: close"]
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if data is not None:
            head += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
        reader, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), timeout)
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(-1), timeout)
        finally:
            writer.close()
        head_bytes, _, rest = raw.partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "set-cookie":
                cookie = value.strip().split(";", 1)[0]
                k, _, v = cookie.partition("=")
                self.cookies[k] = v
            headers[name.lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            out, pos = b"", 0
            while True:
                end = rest.index(b"\r\n", pos)
                size = int(rest[pos:end], 16)
                if size == 0:
                    break
                out += rest[end + 2:end + 2 + size]
                pos = end + 2 + size + 2
            rest = out
        return Reply(status, headers, rest)


def csrf_token(html: bytes) -> str:
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1).decode()


# Setting up: a database, the demo with a published schedule, accounts, a server


@dataclass
class Setup:
    database: str
    instance: str
    slug: str
    readers: list[str]
    voters: list[str]
    proposals: list[int]
    drop: str | None = None


def prepare(kind: str, readers: int, voters: int) -> Setup:
    instance = tempfile.mkdtemp(prefix="agenda-loadbench-")
    drop = None
    if kind == "postgresql":
        from sqlalchemy import create_engine, text

        name = f"agenda_load_{uuid.uuid4().hex[:8]}"
        admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        database, drop = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", name
    else:
        database = f"sqlite:///{instance}/agenda.sqlite"
    os.environ["AGENDA_INSTANCE_PATH"] = instance
    from argon2 import PasswordHasher
    from flask_migrate import upgrade
    from sqlalchemy import select

    from . import create_app
    from .db_tx import transaction
    from .demo import load_demo
    from .extensions import db
    from .models import Membership, Proposal, User
    from .services import schedule as svc

    app = create_app({"SQLALCHEMY_DATABASE_URI": database})
    with app.app_context():
        upgrade()
        event = load_demo(PASSWORD)
        run = svc.start_run(event, 5)
        svc.claim_next_run()
        svc.publish_version(svc.execute_run(run.id).version)
        # Cheap hashes (OWASP's minimum): logging in dozens of people should not be the bench.
        hashed = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(PASSWORD)
        emails = [f"reader{i}@load.invalid" for i in range(readers)] + [f"voter{i}@load.invalid" for i in range(voters)]
        with transaction():
            for i, email in enumerate(emails):
                user = User(email=email, display_name=f"Load {i}", password_hash=hashed, languages=["en", "es", "fr"])
                user.memberships.append(Membership(event_id=event.id, role="participant"))
                db.session.add(user)
        ids = list(db.session.scalars(select(Proposal.id).where(Proposal.event_id == event.id,
                                                                Proposal.status == "accepted")))
        slug = event.slug
        db.session.remove()
        db.engine.dispose()
    return Setup(database, instance, slug, emails[:readers], emails[readers:], ids, drop)


def cleanup(setup: Setup) -> None:
    import shutil

    shutil.rmtree(setup.instance, ignore_errors=True)
    if setup.drop:
        from sqlalchemy import create_engine, text

        admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{setup.drop}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def serve(setup: Setup, workers: int, app: str = "agenda:create_app()", extra_env: dict | None = None):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "AGENDA_INSTANCE_PATH": setup.instance, "AGENDA_DATABASE_URL": setup.database,
           "AGENDA_SESSION_COOKIE_SECURE": "false", "AGENDA_BASE_URL": f"http://127.0.0.1:{port}",
           **(extra_env or {})}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind",  # noqa: S603 (a fixed argv)
                             f"127.0.0.1:{port}", "--backlog", "2048", app],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# The load


@dataclass
class Tally:
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    requests: int = 0
    errors: int = 0
    acknowledged: set = field(default_factory=set)

    def time(self, kind: str, started: float, ok: bool) -> None:
        self.requests += 1
        if ok:
            self.latencies[kind].append((time.perf_counter() - started) * 1000)
        else:
            self.errors += 1


async def login(client: Client, email: str) -> str:
    page = await client.request("GET", "/login")
    token = csrf_token(page.body)
    reply = await client.request("POST", "/login", {"email": email, "password": PASSWORD, "csrf_token": token})
    if reply.status != 302:
        raise RuntimeError(f"{email} could not log in ({reply.status})")
    return token


async def timed(tally: Tally, kind: str, call) -> Reply | None:
    started = time.perf_counter()
    try:
        reply = await call
    except (TimeoutError, OSError, ValueError, IndexError):
        tally.time(kind, started, False)
        return None
    tally.time(kind, started, reply.status < 400)
    return reply


async def phase_one(port: int, setup: Setup, seconds: float, tally: Tally) -> None:
    anonymous = len(setup.readers) - len(setup.readers) // 2
    # Everyone logs in first (argon2 on purpose costs time); the measured period starts after.
    sessions: dict[str, tuple[Client, str]] = {}

    async def log_in(email: str):
        client = Client("127.0.0.1", port)
        sessions[email] = (client, await login(client, email))

    logins = [*setup.readers[anonymous:], *setup.voters]
    for i in range(0, len(logins), 8):
        await asyncio.gather(*(log_in(e) for e in logins[i:i + 8]))
    end = time.monotonic() + seconds
    public = [("schedule", f"/{setup.slug}/schedule"), ("ics", f"/{setup.slug}/schedule.ics"),
              ("ics", f"/{setup.slug}/schedule.json")]

    async def anonymous_reader(i: int):
        client = Client("127.0.0.1", port)
        await asyncio.sleep(random.random() * 2)  # noqa: S311 (load pattern, not secrets)
        k = i
        while time.monotonic() < end:
            kind, path = public[k % len(public)]
            k += 1
            await timed(tally, kind, client.request("GET", path))
            await asyncio.sleep(2)

    async def agenda_reader(email: str):
        client = sessions[email][0]
        await asyncio.sleep(random.random() * 2)  # noqa: S311 (load pattern, not secrets)
        while time.monotonic() < end:
            await timed(tally, "agenda", client.request("GET", f"/{setup.slug}/me/agenda"))
            await asyncio.sleep(2)

    async def voter(email: str, order: list[int]):
        client, token = sessions[email]
        await asyncio.sleep(random.random())  # noqa: S311 (load pattern, not secrets)
        for pid in order:
            if time.monotonic() >= end:
                break
            reply = await timed(tally, "vote", client.request(
                "POST", f"/{setup.slug}/proposals/{pid}/vote", {"want": "1", "csrf_token": token},
                accept="application/json"))
            if reply is not None and reply.status == 200 and json.loads(reply.body).get("ok"):
                tally.acknowledged.add((email, pid))
            await asyncio.sleep(1)

    rng = random.Random(7)  # noqa: S311 (load pattern, not secrets)
    tasks = [anonymous_reader(i) for i in range(anonymous)]
    tasks += [agenda_reader(e) for e in setup.readers[anonymous:]]
    tasks += [voter(e, rng.sample(setup.proposals, len(setup.proposals))) for e in setup.voters]
    await asyncio.gather(*tasks)


def public_paths(setup: Setup) -> list[str]:
    return [f"/{setup.slug}/schedule", f"/{setup.slug}/schedule.ics", f"/{setup.slug}/schedule.json"]


async def closed_loop(port: int, setup: Setup, seconds: float, concurrency: int) -> tuple[float, float, int]:
    """Anonymous requests back to back from `concurrency` clients: (requests/s, p95 ms, errors)."""
    paths = public_paths(setup)
    latencies: list[float] = []
    errors = 0
    end = time.monotonic() + seconds

    async def one(i: int):
        nonlocal errors
        client = Client("127.0.0.1", port)
        k = i
        while time.monotonic() < end:
            started = time.perf_counter()
            try:
                reply = await client.request("GET", paths[k % len(paths)])
                ok = reply.status == 200
            except (TimeoutError, OSError, ValueError, IndexError):
                ok = False
            k += 1
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                errors += 1

    started = time.monotonic()
    await asyncio.gather(*(one(i) for i in range(concurrency)))
    elapsed = time.monotonic() - started
    return len(latencies) / elapsed, percentile(latencies, 95), errors


def bare_app():
    """A bare Flask app serving recorded responses (body and headers) by path: --baseline's yardstick."""
    from flask import Flask, Response

    with open(os.environ["AGENDA_BARE_PAGES"], encoding="utf-8") as f:
        recorded = json.load(f)
    pages = {path: (headers, bytes.fromhex(body)) for path, (headers, body) in recorded.items()}
    app = Flask("bare")

    @app.get("/<path:path>")
    def page(path: str):
        headers, body = pages["/" + path]
        return Response(body, headers=headers)

    return app


async def record(port: int, setup: Setup) -> dict[str, tuple[list, str]]:
    """The anonymous replies the closed loop reads, as bare_app serves them."""
    out = {}
    client = Client("127.0.0.1", port)
    for path in public_paths(setup):
        reply = await client.request("GET", path)
        headers = [(k, v) for k, v in reply.headers.items()
                   if k not in ("content-length", "date", "server", "connection", "transfer-encoding")]
        out[path] = (headers, reply.body.hex())
    return out


def closed_ladder(port: int, setup: Setup, seconds: float) -> tuple[float, int, list]:
    """The most concurrency that keeps the 95th percentile under 200 ms: (its requests/s, errors, tries)."""
    rps_found, errors_closed, tried = 0.0, 0, []
    for concurrency in (64, 32, 16, 8, 4):
        rps, p95, errors = asyncio.run(closed_loop(port, setup, seconds, concurrency))
        tried.append({"concurrency": concurrency, "rps": round(rps), "p95_ms": round(p95, 1), "errors": errors})
        errors_closed += errors
        if p95 <= 200 and errors == 0:
            rps_found = rps
            break
    return rps_found, errors_closed, tried


def percentile(values: list[float], p: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def votes_stored(setup: Setup) -> int:
    from sqlalchemy import func, select

    from . import create_app
    from .extensions import db
    from .models import User, Vote

    app = create_app({"SQLALCHEMY_DATABASE_URI": setup.database})
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Vote).join(User, User.id == Vote.user_id)
                              .where(User.email.in_(setup.voters)))
        db.session.remove()
        db.engine.dispose()
    return n


def run(database: str, seconds: float, readers: int, voters: int, workers: int, closed_seconds: float,
        baseline: bool = False) -> dict:
    setup = prepare(database, readers, voters)
    bare = {}
    try:
        with serve(setup, workers) as port:
            tally = Tally()
            asyncio.run(phase_one(port, setup, seconds, tally))
            public_rps, errors_closed, tried = closed_ladder(port, setup, closed_seconds)
            pages = asyncio.run(record(port, setup)) if baseline else None
        if pages is not None:
            path = os.path.join(setup.instance, "bare-pages.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(pages, f)
            with serve(setup, workers, "agenda.loadbench:bare_app()", {"AGENDA_BARE_PAGES": path}) as port:
                bare_rps, bare_errors, bare_tried = closed_ladder(port, setup, closed_seconds)
            errors_closed += bare_errors
            bare = {"bare_rps": round(bare_rps), "bare_closed_loop": bare_tried,
                    "public_share": round(public_rps / bare_rps, 3) if bare_rps else 0.0,
                    "bare_bytes": {p: len(bytes.fromhex(body)) for p, (_h, body) in pages.items()}}
        stored = votes_stored(setup)
    finally:
        cleanup(setup)
    return {**bare,
        "database": database, "seconds": seconds, "requests": tally.requests,
        "errors": tally.errors + errors_closed,
        "p50_ms": {k: round(percentile(v, 50), 1) for k, v in tally.latencies.items()},
        "p95_ms": {k: round(percentile(v, 95), 1) for k, v in tally.latencies.items()},
        "votes_acknowledged": len(tally.acknowledged), "votes_stored": stored,
        "public_rps": round(public_rps), "closed_loop": tried, "workers": workers,
        "readers": readers, "voters": voters,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m agenda.loadbench", description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--readers", type=int, default=50)
    parser.add_argument("--voters", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--closed-seconds", type=float, default=8, help="length of each closed-loop try")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    parser.add_argument("--baseline", action="store_true",
                        help="then the same closed loop on a bare Flask app serving the same bytes (bare_rps)")
    args = parser.parse_args(argv)
    result = run(args.database, args.seconds, args.readers, args.voters, args.workers, args.closed_seconds,
                 args.baseline)
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=1))
    ok = result["errors"] == 0 and result["votes_stored"] == result["votes_acknowledged"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
