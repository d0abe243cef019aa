"""The worker process: runs queued solves, sends queued e-mail, applies retention dates.

Several workers (on this machine or others) may share one PostgreSQL database: each claims a
run with SELECT … FOR UPDATE SKIP LOCKED, so a run is done once. Runs whose worker died are
marked failed here (they can be run again from their page), not by any web request.

Mail and solves do not wait for each other: e-mail is sent by a thread of its own (a password
reset goes out while a long solve runs), and a running solve's heartbeat is written by another
thread every few seconds, whatever the solver is doing, so that only a worker that is really
gone leaves a run without a heartbeat for a minute.
"""

import logging
import threading
import time
from contextlib import contextmanager

from flask import current_app
from sqlalchemy import update

from .db_tx import transaction
from .extensions import db
from .mail import deliver_pending
from .models import Event, SolveRun, utcnow
from .services.privacy import purge_due
from .services.schedule import claim_next_run, execute_run, reap_stale_runs

log = logging.getLogger(__name__)

PURGE_EVERY = 3600  # seconds: retention dates are days, no need to look on every poll
HEARTBEAT_EVERY = 10  # seconds: well inside the minute after which a run counts as abandoned


def send_mail(echo=print) -> int:
    """One look at the outbox; an error (the database away a moment) waits for the next look."""
    try:
        sent = deliver_pending()
    except Exception:  # noqa: BLE001 (the mail loop outlives any one failure)
        log.exception("sending e-mail failed; trying again later")
        db.session.rollback()
        return 0
    finally:
        db.session.remove()
    if sent:
        echo(f"sent {sent} e-mail(s)")
    return sent


def mail_loop(app, stop: threading.Event, poll: float, echo=print) -> None:
    """The mail thread: its own application context, so its own database session."""
    with app.app_context():
        while not stop.is_set():
            send_mail(echo)
            stop.wait(poll)


@contextmanager
def heartbeat(app, run_id: int, every: float):
    """Write the run's heartbeat from a thread while the solve goes on in this one."""
    done = threading.Event()

    def beat():
        with app.app_context():
            while not done.wait(every):
                try:
                    with transaction():
                        db.session.execute(update(SolveRun).where(
                            SolveRun.id == run_id, SolveRun.status == "running").values(heartbeat_at=utcnow()))
                except Exception:  # noqa: BLE001 (a missed beat is retried on the next one)
                    log.exception("heartbeat of run %s not written", run_id)
                finally:
                    db.session.remove()

    thread = threading.Thread(target=beat, name=f"heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def run_worker(poll: float = 1.0, once: bool = False, echo=print, stop: threading.Event | None = None) -> None:
    """Run queued runs one after another while a thread sends e-mail; with `once`, send what is
    due, run what is queued, send again and stop. `stop` ends the loops (tests, a clean exit)."""
    app = current_app._get_current_object()
    stop = stop or threading.Event()
    mailer = None
    if once:
        send_mail(echo)
    else:
        mailer = threading.Thread(target=mail_loop, args=(app, stop, poll, echo), name="mail", daemon=True)
        mailer.start()
    try:
        _solve_loop(app, poll, once, echo, stop)
    finally:
        stop.set()
        if mailer is not None:
            mailer.join()
    if once:
        send_mail(echo)


def _solve_loop(app, poll: float, once: bool, echo, stop: threading.Event) -> None:
    from .reasons import outcome

    next_purge = 0.0
    every = app.config.get("WORKER_HEARTBEAT", HEARTBEAT_EVERY)
    while not stop.is_set():
        reaped = reap_stale_runs()
        if reaped:
            echo(f"marked {reaped} abandoned run(s) as failed")
        if time.monotonic() >= next_purge:
            for slug in purge_due():
                echo(f"{slug}: retention date passed, personal data deleted")
            next_purge = time.monotonic() + PURGE_EVERY
        run_id = claim_next_run()
        if run_id is not None:
            echo(f"run {run_id}: started")
            with heartbeat(app, run_id, every):
                row = execute_run(run_id)
            echo(f"run {run_id}: {row.status}. {outcome(row, db.session.get(Event, row.event_id))}")
            db.session.remove()
            continue
        db.session.remove()
        if once:
            return
        stop.wait(poll)
