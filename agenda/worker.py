"""The worker process: runs queued solves, sends queued e-mail, applies retention dates.

Several workers (on this machine or others) may share one PostgreSQL database: each claims a
run with SELECT … FOR UPDATE SKIP LOCKED, so a run is done once. Runs whose worker died are
marked failed here (they can be run again from their page), not by any web request.
"""

import logging
import time

from .extensions import db
from .mail import deliver_pending
from .models import Event
from .services.privacy import purge_due
from .services.schedule import claim_next_run, execute_run, reap_stale_runs

log = logging.getLogger(__name__)

PURGE_EVERY = 3600  # seconds: retention dates are days, no need to look on every poll


def run_worker(poll: float = 1.0, once: bool = False, echo=print) -> None:
    """Run queued runs one after another; with `once`, stop when the queue is empty."""
    from .reasons import outcome

    next_purge = 0.0
    while True:
        reaped = reap_stale_runs()
        if reaped:
            echo(f"marked {reaped} abandoned run(s) as failed")
        sent = deliver_pending()
        if sent:
            echo(f"sent {sent} e-mail(s)")
        if time.monotonic() >= next_purge:
            for slug in purge_due():
                echo(f"{slug}: retention date passed, personal data deleted")
            next_purge = time.monotonic() + PURGE_EVERY
        run_id = claim_next_run()
        if run_id is not None:
            echo(f"run {run_id}: started")
            row = execute_run(run_id)
            echo(f"run {run_id}: {row.status}. {outcome(row, db.session.get(Event, row.event_id))}")
            db.session.remove()
            continue
        db.session.remove()
        if once:
            return
        time.sleep(poll)
