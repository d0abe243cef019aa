"""What a version is shown with: its frame (slots and rooms) and its items (runs with their times).

A published version carries its frame, frozen when it was published, so that set-up changes
made afterwards (a room removed, a slot moved, the timezone changed) never reach it; a draft
is shown with the set-up as it is now.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Assignment, Event, Proposal, Room, ScheduleVersion, Slot


@dataclass(frozen=True)
class SlotView:
    id: int
    start: datetime
    end: datetime
    kind: str
    label: str
    tz: tzinfo = field(compare=False, repr=False)

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(self.tz)

    @property
    def local_end(self) -> datetime:
        return self.end.astimezone(self.tz)


@dataclass(frozen=True)
class RoomView:
    id: int
    name: str
    capacity: int
    tables: int = 0


@dataclass
class Frame:
    slots: list[SlotView]
    rooms: list[RoomView]
    plenaries: dict[int, RoomView]  # plenary slot id → its room
    timezone: str = "UTC"  # the event's, as it was when the version was published

    @property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    def __post_init__(self):
        self.slot = {s.id: s for s in self.slots}
        self.room = {r.id: r for r in self.rooms}

    def days(self):
        """(local date, slots) per day, in time order."""
        out: dict = {}
        for s in self.slots:
            out.setdefault(s.local_start.date(), []).append(s)
        return list(out.items())

    def main_room(self) -> RoomView | None:
        return max(self.rooms, key=lambda r: (r.capacity, -r.id)) if self.rooms else None


def slot_view(s: Slot, tz: tzinfo) -> SlotView:
    return SlotView(s.id, s.start, s.end, s.kind, s.label, tz)


def room_view(r: Room) -> RoomView:
    return RoomView(r.id, r.name, r.capacity, getattr(r, "tables", 0) or 0)


def live_frame(event: Event, version: ScheduleVersion | None = None) -> Frame:
    """The set-up as it is now, plus the removed slots and rooms the version still holds."""
    slots = list(event.slots)
    rooms = list(event.rooms)
    if version is not None:
        have_s, have_r = {s.id for s in slots}, {r.id for r in rooms}
        slot_ids = {a.slot_id for a in version.assignments} - have_s
        room_ids = {a.room_id for a in version.assignments} - have_r
        slots += [db.session.get(Slot, i) for i in slot_ids]
        rooms += [db.session.get(Room, i) for i in room_ids]
        slots.sort(key=lambda s: s.start)
        rooms.sort(key=lambda r: r.name)
    plenaries = {}
    for s in slots:
        if s.kind == "plenary" and s.removed_at is None:
            free = [r for r in rooms if r.removed_at is None and s not in r.unavailable]
            if free:
                plenaries[s.id] = room_view(max(free, key=lambda r: (r.capacity, -r.id)))
    return Frame([slot_view(s, event.tz) for s in slots], [room_view(r) for r in rooms], plenaries,
                 event.timezone)


def freeze(event: Event, version: ScheduleVersion) -> dict:
    """The frame of a version about to be published, as JSON."""
    frame = live_frame(event, version)
    return {
        "timezone": event.timezone,
        "slots": [{"id": s.id, "start": s.start.isoformat(), "end": s.end.isoformat(), "kind": s.kind,
                   "label": s.label} for s in frame.slots],
        "rooms": [{"id": r.id, "name": r.name, "capacity": r.capacity, "tables": r.tables} for r in frame.rooms],
        "plenaries": {str(k): v.id for k, v in frame.plenaries.items()},
    }


def frame_of(version: ScheduleVersion | None, event: Event | None = None) -> Frame:
    """A published version's frozen frame, or the live one for a draft (or no version)."""
    event = event or version.event
    if version is None or version.frame is None:
        return live_frame(event, version)
    data = version.frame
    # Shown in the timezone the version was published in: a later change of the event's
    # timezone goes into the next version, like any other set-up change.
    timezone = data.get("timezone") or event.timezone
    tz = ZoneInfo(timezone)
    slots = [SlotView(s["id"], datetime.fromisoformat(s["start"]), datetime.fromisoformat(s["end"]),
                      s["kind"], s["label"], tz) for s in data["slots"]]
    rooms = [RoomView(r["id"], r["name"], r["capacity"], r.get("tables", 0)) for r in data["rooms"]]
    by_id = {r.id: r for r in rooms}
    plenaries = {int(k): by_id[v] for k, v in data.get("plenaries", {}).items() if v in by_id}
    return Frame(slots, rooms, plenaries, timezone)


@dataclass
class Item:
    """One run of a session in a version, with its time span and room as the version shows them."""

    proposal: Proposal
    room: RoomView
    slots: list[SlotView]
    table: int | None = None
    pinned: bool = False
    runs: list[Item] = field(default_factory=list, repr=False)  # every run of the session, this one too
    interpretation: list[dict] = field(default_factory=list)  # [{"interpreter": id, "name": …, "into": "en"}]

    @property
    def start(self) -> datetime:
        return self.slots[0].start

    @property
    def end(self) -> datetime:
        return self.slots[-1].end

    @property
    def first_slot(self) -> SlotView:
        return self.slots[0]

    @property
    def other_runs(self) -> list[Item]:
        return [r for r in self.runs if r is not self]


def items_of(version: ScheduleVersion | None, frame: Frame | None = None) -> list[Item]:
    """Every run of a version, in time order, with the slots its bookings hold."""
    if version is None:
        return []
    frame = frame or frame_of(version)
    rows = db.session.scalars(
        select(Assignment).where(Assignment.version_id == version.id)
        .options(selectinload(Assignment.bookings), selectinload(Assignment.proposal)
                 .selectinload(Proposal.facilitations))).all()
    out = []
    by_proposal: dict[int, list[Item]] = defaultdict(list)
    for a in rows:
        slot_ids = sorted({b.slot_id for b in a.bookings} | {a.slot_id},
                          key=lambda i: frame.slot[i].start if i in frame.slot else datetime.max)
        slots = [frame.slot[i] for i in slot_ids if i in frame.slot]
        room = frame.room.get(a.room_id)
        if not slots or room is None:
            continue
        item = Item(a.proposal, room, slots, a.table, a.pinned, interpretation=list(a.interpretation or ()))
        by_proposal[a.proposal_id].append(item)
        out.append(item)
    for runs in by_proposal.values():
        runs.sort(key=lambda it: it.start)
        for it in runs:
            it.runs = runs
    out.sort(key=lambda it: (it.start, it.room.name.lower(), it.table or 0))
    return out


@dataclass
class FixedItem:
    """A plenary or a break of a version: in the main room, for exports and agendas."""

    slot: SlotView
    room: RoomView | None

    @property
    def kind(self) -> str:
        return self.slot.kind


def runs_by_proposal(items: list[Item]) -> dict[int, list[Item]]:
    """Proposal id → its runs, in the order given (time order from items_of)."""
    out: dict[int, list[Item]] = {}
    for it in items:
        out.setdefault(it.proposal.id, []).append(it)
    return out


def fixed_items(frame: Frame) -> list[FixedItem]:
    main = frame.main_room()
    return [FixedItem(s, frame.plenaries.get(s.id, main)) for s in frame.slots if s.kind in ("plenary", "break")]


@dataclass
class TableRows:
    slot: SlotView
    items: list[Item]


def table_plan(frame: Frame, items: list[Item]) -> list[tuple[RoomView, TableRows]]:
    """For the venue: each hall and slot with its sessions at tables, by table number."""
    cells: dict[tuple[int, int], list[Item]] = defaultdict(list)
    for it in items:
        if it.table:
            for s in it.slots:
                cells[(it.room.id, s.id)].append(it)
    out = []
    for room in frame.rooms:
        if not room.tables:
            continue
        for slot in frame.slots:
            here = cells.get((room.id, slot.id))
            if here:
                out.append((room, TableRows(slot, sorted(here, key=lambda it: it.table))))
    return out
