"""The facilitator's view of languages in a version: interpreted runs per interpreter and day, the
languages each session's voters need, and why some votes stay not understood."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from .. import scheduling
from ..extensions import db
from ..models import Event, Proposal, ScheduleVersion, User, Vote
from ..reasons import NOT_UNDERSTOOD, describe
from .frames import Item


@dataclass
class LanguageReview:
    runs: list[tuple[str, date, int]] = field(default_factory=list)  # interpreter, day, interpreted runs
    needs: list[tuple[Proposal, list[tuple[str, int]]]] = field(default_factory=list)  # other languages voters speak
    reasons: list[str] = field(default_factory=list)  # why votes stay not understood


def language_review(event: Event, version: ScheduleVersion, items: list[Item]) -> LanguageReview | None:
    """None when the event does not schedule for the languages people understand."""
    if not scheduling.language_rule(event):
        return None
    runs = Counter((x.get("name") or "?", it.first_slot.local_start.date()) for it in items for x in it.interpretation)
    placed = {it.proposal.id: it.proposal for it in items}
    needs: dict[int, Counter] = defaultdict(Counter)
    for proposal_id, languages in db.session.execute(
            select(Vote.proposal_id, User.languages).join(User, User.id == Vote.user_id)
            .where(Vote.proposal_id.in_(placed or {0}))):
        if languages and placed[proposal_id].language not in languages:
            needs[proposal_id].update(languages)
    return LanguageReview(
        runs=sorted((name, day, n) for (name, day), n in runs.items()),
        needs=sorted(((placed[k], sorted(c.items(), key=lambda x: (-x[1], x[0]))) for k, c in needs.items()),
                     key=lambda pc: pc[0].title.lower()),
        reasons=[describe(r, event) for r in version.reasons
                 if isinstance(r, dict) and r.get("code") in NOT_UNDERSTOOD])
