"""The worker process: takes queued solve runs from the database and runs them."""

import logging
import time

from .services.schedule import claim_next_run, execute_run, reap_stale_runs

log = logging.getLogger(__name__)


def run_worker(poll: float = 1.0, once: bool = False, echo=print) -> None:
    """Run queued runs one after another; with `once`, stop when the queue is empty."""
    while True:
        reaped = reap_stale_runs()
        if reaped:
            echo(f"marked {reaped} abandoned run(s) as failed")
        run_id = claim_next_run()
        if run_id is not None:
            echo(f"run {run_id}: started")
            row = execute_run(run_id)
            echo(f"run {run_id}: {row.status}. {row.message}")
            continue
        if once:
            return
        time.sleep(poll)
