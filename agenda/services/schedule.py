"""The facilitator's evening: solve runs, drafts, hand edits, publishing, and the next draft.

A published version never changes. Whatever changes under it (the set-up, a withdrawal, a
decision) goes into the next draft: the newest draft if there is one, else a copy of the
published version. `carry_into_next_draft` works out what the change does to that draft
(which sessions no longer fit and leave it, which move with their slot) so that the views
can show it before the facilitator confirms.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import scheduling
from ..db_tx import transaction
from ..extensions import db
from ..mail import process_gone, worker_name
from ..models import Event, Facilitation, Proposal, ScheduleVersion, Slot, SolveRun, Vote, utcnow
from . import ServiceError, frames
from .content import touch_event

log = logging.getLogger(__name__)

STALE_AFTER = 60  # seconds without a heartbeat before a run of a worker elsewhere counts as dead


def active_run(event: Event) -> SolveRun | None:
    return db.session.scalar(select(SolveRun).where(
        SolveRun.event_id == event.id, SolveRun.status.in_(("queued", "running"))))


def start_run(event: Event, time_limit: int, now_slot: Slot | None = None) -> SolveRun:
    """Queue a run for the worker. The database refuses a second active run for the event."""
    if not 1 <= time_limit <= 600:
        raise ServiceError(_("Give a time limit from 1 to 600 seconds."), "time_limit")
    reap_stale_runs()
    event_id = event.id
    now_slot_id = now_slot.id if now_slot else None
    try:
        with transaction():
            run = SolveRun(event_id=event_id, status="queued", time_limit=time_limit, now_slot_id=now_slot_id)
            db.session.add(run)
    except IntegrityError:
        raise ServiceError(_("A schedule is already being generated for this event.")) from None
    log.info("queued run %s for event %s", run.id, event_id)
    return run


def cancel_run(run: SolveRun) -> None:
    """Ask the worker to stop; it keeps the best schedule found so far. A queued run just ends."""
    run_id = run.id
    with transaction():
        run = db.session.get(SolveRun, run_id)
        if run.status == "queued":
            run.status, run.finished_at, run.outcome = "cancelled", utcnow(), {"code": "cancelled_before_start"}
        elif run.status == "running":
            run.cancel_requested = True
        else:
            raise ServiceError(_("This run has already ended."))


def _stale_cutoff(stale_after: float | None = None) -> datetime:
    limit = stale_after if stale_after is not None else current_app.config.get("RUN_STALE_AFTER", STALE_AFTER)
    return utcnow() - timedelta(seconds=limit)


def run_stalled(run: SolveRun) -> bool:
    """A run still marked running whose worker is gone (no heartbeat for a minute): its page
    offers to run it again (which marks it failed), even when no other worker is there to."""
    return run.status == "running" and (
        process_gone(run.worker) or run.heartbeat_at is None or run.heartbeat_at < _stale_cutoff())


def reap_stale_runs(stale_after: float | None = None) -> int:
    """Mark as failed the runs whose worker died: on this machine at once, elsewhere after
    `stale_after` seconds without a heartbeat. Nothing else changes; the run can be retried."""
    cutoff = _stale_cutoff(stale_after)
    running = db.session.execute(select(SolveRun.id, SolveRun.worker, SolveRun.heartbeat_at)
                                 .where(SolveRun.status == "running")).all()
    dead = [run_id for run_id, worker, beat in running
            if process_gone(worker) or beat is None or beat < cutoff]
    db.session.rollback()
    if not dead:
        return 0
    with transaction():
        result = db.session.execute(
            update(SolveRun).where(SolveRun.id.in_(dead), SolveRun.status == "running")
            .values(status="failed", finished_at=utcnow(), outcome={"code": "worker_stopped"}))
    return result.rowcount


def claim_next_run() -> int | None:
    """Take the oldest queued run. PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so that many
    workers never take the same run; SQLite: its single writer and a conditional update."""
    with transaction():
        q = select(SolveRun.id).where(SolveRun.status == "queued").order_by(SolveRun.id).limit(1)
        if db.session.get_bind().dialect.name == "postgresql":
            q = q.with_for_update(skip_locked=True)
        run_id = db.session.scalar(q)
        if run_id is None:
            return None
        now = utcnow()
        result = db.session.execute(
            update(SolveRun).where(SolveRun.id == run_id, SolveRun.status == "queued")
            .values(status="running", started_at=now, heartbeat_at=now, worker=worker_name()))
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
        return _finish(run_id, "failed", {"code": "problem_failed", "error": type(e).__name__})
    state = {"last": 0.0, "cancel": False, "points": []}

    def progress(elapsed, objective, bound):
        state["points"].append([round(elapsed, 1), objective, bound])
        if on_progress:
            on_progress(elapsed, objective, bound)
        if time.monotonic() - state["last"] < 1.0:
            return
        state["last"] = time.monotonic()
        with transaction():
            row = db.session.get(SolveRun, run_id)
            row.progress = state["points"][-300:]
            row.heartbeat_at = utcnow()
            state["cancel"] = row.cancel_requested

    try:
        solution = scheduling.solve_event(built, run.time_limit, progress, lambda: state["cancel"])
    except Exception as e:  # noqa: BLE001
        log.exception("run %s failed", run_id)
        return _finish(run_id, "failed", {"code": "solver_failed", "error": type(e).__name__})
    with transaction() as tx:
        row = db.session.get(SolveRun, run_id)
        if row.status != "running":  # reaped meanwhile: the run counts as failed; change nothing
            tx.discard()
            return row
        # The rows of `built` were expired by the new transaction and reload on use.
        if solution.status == "infeasible":
            row.status = "failed"
            row.outcome = {"code": "infeasible",
                           "reasons": [scheduling.record_refs(built, r) for r in solution.explanations]}
        else:
            version = scheduling.save_version(db.session.get(Event, row.event_id), built, solution)
            db.session.flush()
            row.version_id = version.id
            row.status = "cancelled" if state["cancel"] else "succeeded"
            row.outcome = {"code": "ready", "version": version.number}
        row.progress = state["points"][-300:]
        row.finished_at = row.heartbeat_at = utcnow()
    return row


def _finish(run_id: int, status: str, outcome: dict) -> SolveRun:
    with transaction():
        row = db.session.get(SolveRun, run_id)
        row.status, row.outcome, row.finished_at = status, outcome, utcnow()
    return row


def retry_run(run: SolveRun) -> SolveRun:
    """A failed or cancelled run again, with the same settings; a run whose worker is gone is
    marked failed first."""
    if run_stalled(run):
        reap_stale_runs()  # commits: `run` reloads with its new status
    if run.active:
        raise ServiceError(_("This run is still going."))
    now_slot = db.session.get(Slot, run.now_slot_id) if run.now_slot_id else None
    return start_run(db.session.get(Event, run.event_id), run.time_limit, now_slot)


# Drafts and hand edits


def _editable(version: ScheduleVersion) -> None:
    if version.status != "draft":
        raise ServiceError(_("A published version cannot be changed; edit a draft instead."))


def _apply_edit(version: ScheduleVersion, change: Callable[[dict, set], None]) -> None:
    """Apply a change to a draft's runs; refuse it if it breaks a hard rule; store it.

    All in one write transaction, so two facilitators editing at once cannot undo each other.
    """
    _editable(version)
    version_id = version.id
    with transaction():
        version = db.session.get(ScheduleVersion, version_id)
        _editable(version)
        now_slot = db.session.get(Slot, version.now_slot_id) if version.now_slot_id else None
        built = scheduling.build_problem(version.event, now_slot, pins_from=version,
                                         base=scheduling.base_of(version))
        placed = scheduling.placed_of(built, version)
        pinned = {k for k in placed if any(a.pinned for a in version.assignments
                                           if built.proposal_key.get(a.proposal_id) == k)}
        before = {k: set(v) for k, v in placed.items()}
        change(placed, pinned, built)
        free = scheduling.unpinned(built)
        candidate = scheduling.candidate(free, placed)
        violations = scheduling.check(free, candidate)
        if violations:
            raise ServiceError(_refusal(free, version.event, violations))
        scheduling.rewrite_assignments(version, built, placed, pinned)
        version.hand_placed = _hand_placed(version, built, before, placed)
        db.session.flush()
        figures = dict(version.figures)
        figures.update(scheduling.figures_of(free, scheduling.with_interpretation(free, version, candidate)))
        version.figures = figures


def _hand_placed(version: ScheduleVersion, built, before: dict, placed: dict) -> list[int]:
    """The sessions placed by hand since the solve: those this edit moved join; unscheduled ones leave."""
    moved = {built.proposals[k].id for k, runs in placed.items() if set(runs) != before.get(k)}
    kept = {built.proposals[k].id for k in placed}
    return sorted((set(version.hand_placed or ()) | moved) & kept)


def _refusal(built, event: Event, violations) -> str:
    """The first few broken rules in words (a flash message must stay short)."""
    from flask_babel import ngettext

    from ..reasons import describe

    words = list(dict.fromkeys(describe(scheduling.record_refs(built, v), event) for v in violations))
    text = _("Refused: %(why)s", why=" ".join(words[:3]))
    if len(words) > 3:
        text += " " + ngettext("And %(num)d more problem.", "And %(num)d more problems.", len(words) - 3)
    return text


def _key(built, proposal_id: int) -> str:
    key = built.proposal_key.get(proposal_id)
    if key is None:
        raise ServiceError(_("Only an accepted session can be placed."))
    return key


def _free_table(built, placed: dict, key: str, slot_key: str, room_key: str) -> int | None:
    """The lowest table of a hall that no other run holds in that slot (None when it is full)."""
    hall = next((r for r in built.problem.rooms if r.id == room_key), None)
    if hall is None or not hall.tables:
        return None
    taken = {t for k, runs in placed.items() if k != key for s, r, t in runs if s == slot_key and r == room_key}
    return next((n for n in range(1, hall.tables + 1) if n not in taken), None)


def move_session(version: ScheduleVersion, proposal_id: int, slot: Slot, room, table: int | None = None,
                 from_slot_id: int | None = None, another_run: bool = False) -> None:
    """Move one run of a session (the one starting at `from_slot_id`, or its only run), place it,
    or (`another_run`) add a run. A table session without a table given gets the lowest free one."""

    def change(placed, pinned, built):
        key = _key(built, proposal_id)
        if key in pinned:
            raise ServiceError(_("This session is pinned: unpin it before moving it."))
        runs = placed.get(key, [])
        slot_key, room_key = built.slot_key[slot.id], built.room_key[room.id]
        session = next(s for s in built.problem.sessions if s.id == key)
        number = table
        if number is None and session.at_table:
            number = _free_table(built, placed, key, slot_key, room_key)
        origin = built.slot_key.get(from_slot_id) if from_slot_id else None
        if another_run:
            pass
        elif origin is not None:
            runs = [r for r in runs if r[0] != origin]
        elif len(runs) > 1:
            raise ServiceError(_("This session runs more than once: choose which run to move."))
        else:
            runs = []
        placed[key] = [*runs, (slot_key, room_key, number)]

    _apply_edit(version, change)


def swap_sessions(version: ScheduleVersion, first: int, second: int) -> None:
    def change(placed, pinned, built):
        a, b = built.proposal_key.get(first), built.proposal_key.get(second)
        if a is None or b is None or a not in placed or b not in placed or a == b:
            raise ServiceError(_("Choose two different scheduled sessions to swap."))
        if len(placed[a]) > 1 or len(placed[b]) > 1:
            raise ServiceError(_("A session that runs more than once is moved run by run, not swapped."))
        if a in pinned or b in pinned:
            raise ServiceError(_("A pinned session cannot be swapped: unpin it first."))
        # Each takes the other's place (a table session and an ordinary one cannot swap: the
        # checker refuses it with the reason).
        placed[a], placed[b] = placed[b], placed[a]

    _apply_edit(version, change)


def unschedule_session(version: ScheduleVersion, proposal_id: int) -> None:
    def change(placed, pinned, built):
        key = built.proposal_key.get(proposal_id)
        placed.pop(key, None)
        pinned.discard(key)

    _apply_edit(version, change)


def set_pinned(version: ScheduleVersion, proposal_id: int, pinned: bool) -> None:
    _editable(version)
    version_id = version.id
    with transaction():
        version = db.session.get(ScheduleVersion, version_id)
        _editable(version)
        runs = [a for a in version.assignments if a.proposal_id == proposal_id]
        if not runs:
            raise ServiceError(_("Only a scheduled session can be pinned."))
        if pinned and len(runs) > 1:
            raise ServiceError(_("A session that runs more than once cannot be pinned: move its runs by hand."))
        for a in runs:
            a.pinned = pinned


def publish_version(version: ScheduleVersion, notify: bool = True) -> None:
    """Make the newest draft the public schedule, its frame frozen, in one transaction; with it,
    one e-mail per person whose sessions it changes (unless `notify` is off: the demo's)."""
    event_id, number, version_id = version.event_id, version.number, version.id
    with transaction():
        version = db.session.get(ScheduleVersion, version_id)
        newest = db.session.scalar(select(ScheduleVersion.number).where(ScheduleVersion.event_id == event_id)
                                   .order_by(ScheduleVersion.number.desc()).limit(1))
        if version.status != "draft":
            raise ServiceError(_("Version %(n)d is already published.", n=number))
        if newest != number:
            raise ServiceError(_("Only the newest draft can be published; version %(n)d is newer.", n=newest))
        event = db.session.get(Event, event_id)
        built = scheduling.build_problem(event, None, pins_from=version)
        placed = scheduling.placed_of(built, version)
        if sum(map(len, placed.values())) != len(version.assignments) or scheduling.check(
                scheduling.unpinned(built), scheduling.candidate(scheduling.unpinned(built), placed)):
            raise ServiceError(_("The set-up changed after this draft was made: generate the schedule again."))
        previous = scheduling.published_version(event)
        version.frame = frames.freeze(event, version)
        version.status = "published"
        version.published_at = utcnow()
        touch_event(event)
        # Told with the publish or not at all: one message per person, keyed by this version.
        from .mailings import queue_publish_mails

        if notify:
            queue_publish_mails(event, previous, version)
    log.info("published version %s of event %s", number, event_id)


def import_solution(event: Event, data, now_slot: Slot | None | str = "auto") -> ScheduleVersion:
    """Store a solution computed elsewhere as a new draft, after the checker accepts it."""
    solution = scheduling.parse_solution(data)
    built = scheduling.build_problem(event, now_slot)
    violations = scheduling.check(built, solution)
    if violations:
        from ..reasons import describe

        raise ServiceError(_("The solution breaks the rules: %(why)s", why=" ".join(dict.fromkeys(
            describe(scheduling.record_refs(built, v), event) for v in violations))))
    event_id = event.id
    with transaction():
        version = scheduling.save_version(db.session.get(Event, event_id), built, solution, source="import")
    return version


# The next draft: where changes to a published schedule go


@dataclass
class Affected:
    """A session that leaves, or moves in, the next draft because of a change."""

    proposal: Proposal
    slot: frames.SlotView
    room: frames.RoomView
    published: bool
    to_slot: frames.SlotView | None = None  # for a session that moves with its slot


@dataclass
class Impact:
    """What a change does to the schedule: shown before the facilitator confirms it."""

    dropped: list[Affected] = field(default_factory=list)
    moved: list[Affected] = field(default_factory=list)
    people: int = 0  # distinct people who have one of those sessions in their agenda
    draft_number: int | None = None  # the draft that took (or would take) the change
    applied: bool = False

    @property
    def sessions(self) -> list[Affected]:
        return self.dropped + self.moved

    @property
    def published(self) -> int:
        return sum(1 for a in self.sessions if a.published)

    @property
    def touches_published(self) -> bool:
        return self.published > 0

    @property
    def proposal_ids(self) -> set[int]:
        return {a.proposal.id for a in self.sessions}


def _people_of(proposal_ids: set[int]) -> set[int]:
    if not proposal_ids:
        return set()
    voters = db.session.scalars(select(Vote.user_id).where(Vote.proposal_id.in_(proposal_ids)))
    hosts = db.session.scalars(select(Facilitation.user_id).where(
        Facilitation.proposal_id.in_(proposal_ids), Facilitation.state == "accepted"))
    return set(voters) | set(hosts)


def snapshot(event: Event) -> dict[int, tuple[datetime, datetime]]:
    """Slot times before a change, to tell which sessions move with their slot."""
    return {s.id: (s.start, s.end) for s in db.session.scalars(select(Slot).where(Slot.event_id == event.id))}


def carry_into_next_draft(event: Event, before: dict[int, tuple[datetime, datetime]] | None = None,
                          write: bool = True) -> Impact:
    """Carry the change just flushed into the next draft (inside the caller's transaction).

    The next draft starts as the newest version; runs that no longer fit (a removed room or
    slot, a withdrawn or declined session, a slot turned into a break) leave it, the rest stay
    where they are. With `write` False, only say what would happen.
    """
    newest = scheduling.newest_version(event)
    impact = Impact()
    if newest is None:
        return impact
    published = scheduling.published_version(event)
    in_published = set(scheduling.placements(published))
    old_frame = frames.frame_of(newest, event) if newest.frame else None
    built = scheduling.build_problem(event, "auto", pins_from=newest, base=newest)
    placed = scheduling.placed_of(built, newest)
    kept, _dropped = scheduling.repair(built, placed)
    kept_ids = {built.proposals[k].id for k in kept}
    frame = frames.live_frame(event, newest)
    before = before or {}
    for a in newest.assignments:
        slot = (old_frame.slot.get(a.slot_id) if old_frame else None) or frame.slot.get(a.slot_id)
        room = (old_frame.room.get(a.room_id) if old_frame else None) or frame.room.get(a.room_id)
        if slot is None or room is None or any(x.proposal.id == a.proposal_id for x in impact.sessions):
            continue
        if a.proposal_id not in kept_ids:
            impact.dropped.append(Affected(a.proposal, slot, room, a.proposal_id in in_published))
        elif a.slot_id in before and before[a.slot_id] != (frame.slot[a.slot_id].start, frame.slot[a.slot_id].end):
            old = frames.SlotView(a.slot_id, *before[a.slot_id], slot.kind, slot.label, event.tz)
            impact.moved.append(Affected(a.proposal, old, room, a.proposal_id in in_published,
                                         frame.slot[a.slot_id]))
    impact.dropped.sort(key=lambda x: (x.slot.start, x.room.name))
    impact.moved.sort(key=lambda x: (x.slot.start, x.room.name))
    impact.people = len(_people_of(impact.proposal_ids))
    if not impact.sessions or not write:
        impact.draft_number = newest.number if newest.status == "draft" else newest.number + 1
        return impact
    draft = newest
    if newest.status == "published":
        draft = ScheduleVersion(event_id=event.id, number=newest.number + 1, status="draft", source="change",
                                figures={}, reasons=[], unscheduled=[], now_slot_id=None)
        db.session.add(draft)
        db.session.flush()
    pinned = {k for k in kept if any(a.pinned for a in newest.assignments
                                     if built.proposal_key.get(a.proposal_id) == k)}
    scheduling.rewrite_assignments(draft, built, kept, pinned)
    db.session.flush()
    free = scheduling.unpinned(built)
    figures = dict(draft.figures or {})
    figures.update(scheduling.figures_of(free, scheduling.with_interpretation(free, draft,
                                                                             scheduling.candidate(free, kept))))
    draft.figures = figures
    impact.draft_number = draft.number
    impact.applied = True
    return impact


def apply_change(event: Event, change: Callable[[], None], confirmed: bool, ask_always: bool = False) -> Impact:
    """Make a change that may touch the schedule, and carry it into the next draft.

    Unless confirmed, a change that touches a published session (or any, with `ask_always`)
    is only tried: the impact is returned and nothing is kept, for the facilitator to confirm.
    """
    event_id = event.id
    with transaction() as tx:
        event = db.session.get(Event, event_id)
        before = snapshot(event)
        change()
        db.session.flush()
        db.session.expire_all()
        event = db.session.get(Event, event_id)
        impact = carry_into_next_draft(event, before, write=False)
        if not confirmed and (ask_always or impact.touches_published):
            tx.discard()
            return impact
        impact = carry_into_next_draft(event, before, write=True)
        impact.applied = True
    return impact
