"""Interpreters of an event: who interprets between which languages, when, and how much a day."""

from flask_babel import gettext as _
from sqlalchemy import select

from ..db_tx import transaction
from ..extensions import db
from ..languages import language_name
from ..models import Event, Interpreter, Membership, Slot, User
from . import ServiceError
from .content import touch_event


def parse_pairs(text: str) -> list[list[str]]:
    """"en-es, en-fr" → [["en", "es"], ["en", "fr"]]; a pair of one language is refused."""
    pairs: list[list[str]] = []
    for item in (text or "").replace("\n", ",").split(","):
        item = item.strip().lower()
        if not item:
            continue
        parts = [x.strip() for x in item.replace("↔", "-").replace("/", "-").split("-") if x.strip()]
        if len(parts) != 2:
            raise ServiceError(_("Write each pair as two language codes joined by a dash, e.g. en-es."), "pairs")
        if parts[0] == parts[1]:
            raise ServiceError(_("A pair needs two different languages: %(language)s is given twice.",
                                 language=language_name(parts[0])), "pairs")
        if sorted(parts) not in [sorted(p) for p in pairs]:
            pairs.append(parts)
    if not pairs:
        raise ServiceError(_("Give at least one pair of languages, e.g. en-es."), "pairs")
    return pairs


def save_interpreter(event: Event, interpreter: Interpreter | None, name: str, pairs_text: str,
                     available_slot_ids: list[int], max_slots_per_day: int | None,
                     user_id: int | None) -> Interpreter:
    """Add an interpreter (interpreter=None) or change one; the next generated draft uses them."""
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the interpreter's name."), "name")
    pairs = parse_pairs(pairs_text)
    unknown = [p for pair in pairs for p in pair if p not in event.languages]
    if unknown:
        raise ServiceError(_("The event has no sessions in %(languages)s: add the language in the settings first.",
                             languages=", ".join(language_name(x) for x in unknown)), "pairs")
    slots = [s for s in event.slots if s.id in set(available_slot_ids) and s.kind == "open"]
    if not slots:
        raise ServiceError(_("Choose at least one slot in which the interpreter is available."), "available")
    if max_slots_per_day is not None and max_slots_per_day < 1:
        raise ServiceError(_("Give at least 1 slot a day, or leave it empty for no limit."), "max_slots_per_day")
    if user_id is not None and db.session.get(Membership, (user_id, event.id)) is None:
        raise ServiceError(_("Choose a participant of this event."), "user_id")
    event_id, interpreter_id = event.id, interpreter.id if interpreter is not None else None
    slot_ids = [s.id for s in slots]
    with transaction():
        target = db.session.get(Interpreter, interpreter_id) if interpreter_id else Interpreter(event_id=event_id)
        if interpreter_id is None:
            db.session.add(target)
        target.name, target.pairs, target.max_slots_per_day, target.user_id = name, pairs, max_slots_per_day, user_id
        target.available = list(db.session.scalars(select(Slot).where(Slot.id.in_(slot_ids))))
        touch_event(db.session.get(Event, event_id))
    return target


def remove_interpreter(interpreter: Interpreter) -> None:
    """Published versions keep the names of who interpreted (stored with each run)."""
    event_id = interpreter.event_id
    with transaction():
        db.session.delete(interpreter)
        touch_event(db.session.get(Event, event_id))


def interpreters_of(event: Event) -> list[Interpreter]:
    return list(db.session.scalars(select(Interpreter).where(Interpreter.event_id == event.id)
                                   .order_by(Interpreter.name, Interpreter.id)))


def members_of(event: Event) -> list[User]:
    return list(db.session.scalars(select(User).join(Membership).where(Membership.event_id == event.id)
                                   .order_by(User.display_name, User.id)))


def runs_of(event: Event, interpreter: Interpreter):
    """(version, [(run, the language they interpret into)]) in the published version, else the newest draft."""
    from .. import scheduling
    from .frames import frame_of, items_of

    version = scheduling.published_version(event) or scheduling.newest_version(event)
    if version is None:
        return None, []
    items = items_of(version, frame_of(version, event))
    return version, [(it, x["into"]) for it in items for x in it.interpretation
                     if x.get("interpreter") == interpreter.id]
