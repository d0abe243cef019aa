"""What a facilitator sees of a version: each session's votes and warnings, what is left out and
why, and what changed since the version it is compared with."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import scheduling
from ..enums import ProposalStatus
from ..extensions import db
from ..models import AgendaChoice, Event, Facilitation, Proposal, ScheduleVersion, Vote
from ..reasons import NOT_UNDERSTOOD, describe
from .frames import Frame, Item, frame_of, items_of, runs_by_proposal


@dataclass
class SessionReport:
    item: Item
    votes: int
    capacity: int
    free_voters: int  # voters not busy elsewhere (their own session, a plenary)
    clashing: int  # of those, how many also want another session at the same time
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # series order, kept preferences
    chosen: int = 0  # people who chose this run in their agenda (a session that runs more than once)


@dataclass
class Diff:
    moved: list[tuple[Item, Item]] = field(default_factory=list)
    new: list[Item] = field(default_factory=list)
    removed: list[Item] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.moved or self.new or self.removed)


@dataclass
class Review:
    version: ScheduleVersion
    frame: Frame
    items: list[Item]
    reports: list[SessionReport]
    diff: Diff
    against: ScheduleVersion | None
    published: ScheduleVersion | None
    unscheduled: list[Proposal]
    reasons: list[str]
    can_publish: bool
    runs_allowed: dict[int, int] = field(default_factory=dict)  # proposal id → runs it may have

    def cells(self) -> dict[tuple[int, int], list[Item]]:
        """(slot id, room id) → the runs there (several at the tables of a hall)."""
        out: dict[tuple[int, int], list[Item]] = defaultdict(list)
        for it in self.items:
            for s in it.slots:
                out[(s.id, it.room.id)].append(it)
        return out


def reports_of(event: Event, items: list[Item], tz=None) -> list[SessionReport]:
    tz = tz or event.tz
    ids = {it.proposal.id for it in items}
    chosen: dict[tuple[int, int], int] = dict(
        ((pid, sid), n) for pid, sid, n in db.session.execute(
            select(AgendaChoice.proposal_id, AgendaChoice.slot_id, func.count()).where(
                AgendaChoice.proposal_id.in_(ids or {0})).group_by(AgendaChoice.proposal_id, AgendaChoice.slot_id)))
    votes: dict[int, list[int]] = defaultdict(list)
    mine_votes: dict[int, set[int]] = defaultdict(set)
    for user_id, proposal_id in db.session.execute(select(Vote.user_id, Vote.proposal_id).join(Proposal).where(
            Proposal.event_id == event.id)):
        mine_votes[user_id].add(proposal_id)
        if proposal_id in ids:
            votes[proposal_id].append(user_id)
    hosts: dict[int, set[int]] = defaultdict(set)
    for user_id, proposal_id in db.session.execute(select(Facilitation.user_id, Facilitation.proposal_id).where(
            Facilitation.state == "accepted", Facilitation.proposal_id.in_(ids))):
        hosts[user_id].add(proposal_id)
    span: dict[int, set[int]] = defaultdict(set)
    for it in items:
        span[it.proposal.id] |= {s.id for s in it.slots}
    busy = {user_id: set().union(*(span[p] for p in ps)) for user_id, ps in hosts.items()}
    reports = []
    for it in items:
        pid = it.proposal.id
        mine = {s.id for s in it.slots}
        free = clashing = 0
        for user_id in votes[pid]:
            if busy.get(user_id, set()) & mine:
                continue
            free += 1
            if any(v != pid and span.get(v, set()) & mine for v in mine_votes[user_id]):
                clashing += 1
        n = len(votes[pid])
        warnings = []
        seats = sum(r.room.capacity for r in it.runs) if it.runs else it.room.capacity
        if not it.table and n > seats:
            warnings.append(_("%(votes)d people want to attend; %(room)s holds %(capacity)d.",
                              votes=n, room=it.room.name, capacity=it.room.capacity))
        if it.proposal.max_group and n > it.proposal.max_group:
            warnings.append(_("%(votes)d votes for a group of at most %(most)d.", votes=n,
                              most=it.proposal.max_group))
        report = SessionReport(it, n, it.room.capacity, free, clashing, warnings)
        _series_and_preferences(report, it, items, tz)
        if len(it.runs) > 1:
            report.chosen = chosen.get((pid, it.first_slot.id), 0)
        reports.append(report)
    return reports


def _series_and_preferences(report: SessionReport, it: Item, items: list[Item], tz) -> None:
    """Part 2 after part 1, and the times its people prefer, in words."""
    from ..dates import span, when

    p = it.proposal
    if p.after_id:
        before = [x for x in items if x.proposal.id == p.after_id]
        if before:
            report.notes.append(_("Part 2: after '%(title)s' (%(when)s).", title=before[0].proposal.title,
                                  when=when(before[-1].start, tz, "short_day_time")))
        else:
            report.notes.append(_("Part 2 of '%(title)s', which is not in this version.",
                                  title=p.after.title if p.after else ""))
    if p.preferred:
        wanted = ", ".join(f"{when(s.start, tz, 'short_day')} {span(s.start, s.end, tz)}" for s in p.preferred)
        if it.first_slot.id in {s.id for s in p.preferred}:
            report.notes.append(_("At a time its people prefer."))
        elif p.prefer_reason:
            report.warnings.append(_("Its people prefer %(slots)s (“%(reason)s”); this run is at another time.",
                                     slots=wanted, reason=p.prefer_reason))
        else:
            report.warnings.append(_("Its people prefer %(slots)s; this run is at another time.", slots=wanted))


def diff(after: list[Item], before: list[Item]) -> Diff:
    """Moved (from → to), new and removed sessions between two versions."""
    b, a = runs_by_proposal(before), runs_by_proposal(after)
    out = Diff()
    for pid, runs in a.items():
        if pid not in b:
            out.new.extend(runs)
        elif [(x.start, x.room.id, x.table) for x in runs] != [(x.start, x.room.id, x.table) for x in b[pid]]:
            out.moved.append((b[pid][0], runs[0]))
    for pid, runs in b.items():
        if pid not in a:
            out.removed.extend(runs)
    out.moved.sort(key=lambda ba: ba[1].start)
    out.new.sort(key=lambda it: it.start)
    out.removed.sort(key=lambda it: it.start)
    return out


def review_version(event: Event, version: ScheduleVersion) -> Review:
    frame = frame_of(version, event)
    items = items_of(version, frame)
    published = scheduling.published_version(event)
    # Compare with the public schedule; before anything is published, with the version before.
    against = published if published and published.id != version.id else None
    if published is None:
        against = db.session.scalar(select(ScheduleVersion).where(
            ScheduleVersion.event_id == event.id, ScheduleVersion.number < version.number)
            .order_by(ScheduleVersion.number.desc()).limit(1))
    changes = diff(items, items_of(against)) if against is not None else Diff()
    placed = {it.proposal.id for it in items}
    unscheduled = list(db.session.scalars(select(Proposal).where(
        Proposal.event_id == event.id, Proposal.status == ProposalStatus.ACCEPTED,
        Proposal.id.not_in(placed or {0}))
        .order_by(Proposal.title)))
    newest = scheduling.newest_version(event)
    return Review(
        version=version, frame=frame, items=items, reports=reports_of(event, items, frame.tz), diff=changes,
        against=against, published=published, unscheduled=unscheduled,
        reasons=[describe(r, event) for r in version.reasons  # (votes not understood: see interpretation.py)
                 if not (isinstance(r, dict) and r.get("code") in NOT_UNDERSTOOD)],
        can_publish=version.status == "draft" and newest is not None and newest.id == version.id,
        runs_allowed={it.proposal.id: scheduling.runs_allowed(it.proposal) for it in items})
