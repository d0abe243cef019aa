"""The facilitator's evening: solve runs, drafts, hand edits, publishing."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import scheduling
from ..db_tx import write_transaction
from ..extensions import db
from ..models import Event, ScheduleVersion, Slot, SolveRun, utcnow
from . import ServiceError

log = logging.getLogger(__name__)

STALE_AFTER = 60  # seconds without a heartbeat before a running run counts as dead


def active_run(event: Event) -> SolveRun | None:
    return db.session.scalar(select(SolveRun).where(
        SolveRun.event_id == event.id, SolveRun.status.in_(("queued", "running"))))


def start_run(event: Event, time_limit: int, now_slot: Slot | None = None) -> SolveRun:
    """Queue a run for the worker. The database refuses a second active run for the event."""
    if not 1 <= time_limit <= 600:
        raise ServiceError(_("Give a time limit from 1 to 600 seconds."), "time_limit")
    reap_stale_runs()
    event_id = event.id
    write_transaction()
    run = SolveRun(event_id=event_id, status="queued", time_limit=time_limit,
                   now_slot_id=now_slot.id if now_slot else None)
    db.session.add(run)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise ServiceError(_("A schedule is already being generated for this event.")) from None
    log.info("queued run %s for event %s", run.id, event_id)
    return run


def cancel_run(run: SolveRun) -> None:
    """Ask the worker to stop; it keeps the best schedule found so far. A queued run just ends."""
    write_transaction()
    run = db.session.get(SolveRun, run.id)
    if run.status == "queued":
        run.status, run.finished_at, run.message = "cancelled", utcnow(), _("Cancelled before it started.")
    elif run.status == "running":
        run.cancel_requested = True
    else:
        db.session.rollback()
        raise ServiceError(_("This run has already ended."))
    db.session.commit()


def reap_stale_runs(stale_after: float | None = None) -> int:
    """Mark as failed the runs whose worker stopped sending heartbeats; nothing else changes."""
    limit = stale_after if stale_after is not None else current_app.config.get("RUN_STALE_AFTER", STALE_AFTER)
    cutoff = utcnow() - timedelta(seconds=limit)
    write_transaction()
    result = db.session.execute(
        update(SolveRun).where(SolveRun.status == "running", SolveRun.heartbeat_at < cutoff)
        .values(status="failed", finished_at=utcnow(),
                message="The worker stopped during this run. Nothing was changed; generate again."))
    db.session.commit()
    return result.rowcount


def claim_next_run() -> int | None:
    """Take the oldest queued run; a conditional update makes two workers never take the same one."""
    write_transaction()
    run_id = db.session.scalar(select(SolveRun.id).where(SolveRun.status == "queued")
                               .order_by(SolveRun.id).limit(1))
    if run_id is None:
        db.session.rollback()
        return None
    now = utcnow()
    result = db.session.execute(
        update(SolveRun).where(SolveRun.id == run_id, SolveRun.status == "queued")
        .values(status="running", started_at=now, heartbeat_at=now))
    db.session.commit()
    return run_id if result.rowcount == 1 else None


def execute_run(run_id: int, on_progress=None) -> SolveRun:
    """Solve, reporting progress to the run row; store the result as a new draft."""
    run = db.session.get(SolveRun, run_id)
    event = db.session.get(Event, run.event_id)
    now_slot = db.session.get(Slot, run.now_slot_id) if run.now_slot_id else "auto"
    try:
        built = scheduling.build_problem(event, now_slot)
    except Exception as e:  # noqa: BLE001 (any failure ends the run, never the worker)
        log.exception("building the problem failed")
        return _finish(run_id, "failed", _("The event could not be turned into a problem: %(e)s", e=e))
    state = {"last": 0.0, "cancel": False, "points": []}

    def progress(elapsed, objective, bound):
        state["points"].append([round(elapsed, 1), objective, bound])
        if on_progress:
            on_progress(elapsed, objective, bound)
        if time.monotonic() - state["last"] < 1.0:
            return
        state["last"] = time.monotonic()
        write_transaction()
        row = db.session.get(SolveRun, run_id)
        row.progress = state["points"][-300:]
        row.heartbeat_at = utcnow()
        state["cancel"] = row.cancel_requested
        db.session.commit()

    try:
        solution = scheduling.solve_event(built, run.time_limit, progress, lambda: state["cancel"])
    except Exception as e:  # noqa: BLE001
        log.exception("run %s failed", run_id)
        return _finish(run_id, "failed", _("The solver failed: %(e)s", e=e))
    write_transaction()
    row = db.session.get(SolveRun, run_id)
    if row.status != "running":  # reaped meanwhile: the run counts as failed; change nothing
        db.session.rollback()
        return row
    # The rows of `built` were expired by the new transaction and reload on use.
    if solution.status == "infeasible":
        row.status, row.message = "failed", " ".join(solution.reasons)[:2000]
    else:
        version = scheduling.save_version(db.session.get(Event, row.event_id), built, solution)
        db.session.flush()
        row.version_id = version.id
        row.status = "cancelled" if state["cancel"] else "succeeded"
        row.message = _("Version %(n)d is ready for review.", n=version.number)
    row.progress = state["points"][-300:]
    row.finished_at = row.heartbeat_at = utcnow()
    db.session.commit()
    return row


def _finish(run_id: int, status: str, message: str) -> SolveRun:
    write_transaction()
    row = db.session.get(SolveRun, run_id)
    row.status, row.message, row.finished_at = status, message[:2000], utcnow()
    db.session.commit()
    return row


# Drafts


def _editable(version: ScheduleVersion) -> None:
    if version.status != "draft":
        raise ServiceError(_("A published version cannot be changed; edit a draft instead."))


def _apply_edit(version: ScheduleVersion, change) -> None:
    """Apply a change to a draft's placements; refuse it if it breaks a hard rule; store it.

    All in one write transaction, so two facilitators editing at once cannot undo each other.
    """
    _editable(version)
    version_id = version.id
    write_transaction()
    try:
        version = db.session.get(ScheduleVersion, version_id)
        _editable(version)
        now_slot = db.session.get(Slot, version.now_slot_id) if version.now_slot_id else None
        built = scheduling.build_problem(version.event, now_slot, pins_from=version)
        placed = {f"p{a.proposal_id}": (f"t{a.slot_id}", f"r{a.room_id}") for a in version.assignments
                  if f"p{a.proposal_id}" in built.proposals}
        pinned = {f"p{a.proposal_id}" for a in version.assignments if a.pinned}
        change(placed, pinned)
        free, candidate, violations = scheduling.check_hand_edit(built, placed, pinned)
        if violations:
            raise ServiceError(_("Refused: %(why)s", why=" ".join(violations)))
        scheduling.rewrite_assignments(version, built, placed, pinned)
        db.session.flush()
        figures = dict(version.figures)
        figures.update(scheduling.figures_of(free, candidate))
        version.figures = figures
        db.session.commit()
    except ServiceError:
        db.session.rollback()
        raise


def move_session(version: ScheduleVersion, proposal_id: int, slot: Slot, room) -> None:
    key = f"p{proposal_id}"

    def change(placed, pinned):
        if key in pinned:
            raise ServiceError(_("This session is pinned: unpin it before moving it."))
        placed[key] = (f"t{slot.id}", f"r{room.id}")

    _apply_edit(version, change)


def swap_sessions(version: ScheduleVersion, first: int, second: int) -> None:
    a, b = f"p{first}", f"p{second}"

    def change(placed, pinned):
        if a not in placed or b not in placed or a == b:
            raise ServiceError(_("Choose two different scheduled sessions to swap."))
        if a in pinned or b in pinned:
            raise ServiceError(_("A pinned session cannot be swapped: unpin it first."))
        placed[a], placed[b] = placed[b], placed[a]

    _apply_edit(version, change)


def unschedule_session(version: ScheduleVersion, proposal_id: int) -> None:
    key = f"p{proposal_id}"

    def change(placed, pinned):
        placed.pop(key, None)
        pinned.discard(key)

    _apply_edit(version, change)


def set_pinned(version: ScheduleVersion, proposal_id: int, pinned: bool) -> None:
    _editable(version)
    write_transaction()
    version = db.session.get(ScheduleVersion, version.id)
    assignment = next((a for a in version.assignments if a.proposal_id == proposal_id), None)
    if assignment is None:
        db.session.rollback()
        raise ServiceError(_("Only a scheduled session can be pinned."))
    assignment.pinned = pinned
    db.session.commit()


def publish_version(version: ScheduleVersion) -> None:
    """Make the newest draft the public schedule, in one transaction."""
    event_id, number = version.event_id, version.number
    write_transaction()
    version = db.session.get(ScheduleVersion, version.id)
    newest = db.session.scalar(select(ScheduleVersion.number).where(ScheduleVersion.event_id == event_id)
                               .order_by(ScheduleVersion.number.desc()).limit(1))
    if version.status != "draft":
        db.session.rollback()
        raise ServiceError(_("Version %(n)d is already published.", n=number))
    if newest != number:
        db.session.rollback()
        raise ServiceError(_("Only the newest draft can be published; version %(n)d is newer.", n=newest))
    version.status = "published"
    version.published_at = utcnow()
    db.session.commit()
    log.info("published version %s of event %s", number, event_id)


def import_solution(event: Event, data, now_slot: Slot | None | str = "auto") -> ScheduleVersion:
    """Store a solution computed elsewhere as a new draft, after the checker accepts it."""
    solution = scheduling.parse_solution(data)
    built = scheduling.build_problem(event, now_slot)
    violations = scheduling.check(built, solution)
    if violations:
        raise ServiceError(_("The solution breaks the rules: %(why)s", why=" ".join(violations)))
    event_id = event.id
    write_transaction()
    version = scheduling.save_version(db.session.get(Event, event_id), built, solution, source="import")
    db.session.commit()
    return version
