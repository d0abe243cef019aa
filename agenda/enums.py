"""States and kinds, each with a label in the reader's language.

The database stores the values (CHECK constraints list them); pages show `.label`.
"""

from enum import StrEnum

from flask_babel import lazy_gettext as _l


class Labelled(StrEnum):
    @property
    def label(self) -> str:
        return str(LABELS[type(self)][self])


class ProposalStatus(Labelled):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    MERGED = "merged"

    @property
    def is_open(self) -> bool:
        """Still in play: listed, takes votes, may be edited, withdrawn or merged."""
        return self in (ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED)

    def can_become(self, other: str) -> bool:
        return other in TRANSITIONS[self]


class IllegalTransition(ValueError):
    """A proposal cannot go from its state to that one (TRANSITIONS says which it can)."""


# Where a proposal can go from each state: facilitators accept, decline or reopen; its proposer
# or a facilitator withdraws; facilitators merge it into another. Withdrawn and merged are final.
TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    ProposalStatus.PROPOSED: frozenset({ProposalStatus.ACCEPTED, ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN,
                                        ProposalStatus.MERGED}),
    ProposalStatus.ACCEPTED: frozenset({ProposalStatus.PROPOSED, ProposalStatus.DECLINED, ProposalStatus.WITHDRAWN,
                                        ProposalStatus.MERGED}),
    ProposalStatus.DECLINED: frozenset({ProposalStatus.PROPOSED, ProposalStatus.ACCEPTED}),
    ProposalStatus.WITHDRAWN: frozenset(),
    ProposalStatus.MERGED: frozenset(),
}


class SlotKind(Labelled):
    OPEN = "open"
    PLENARY = "plenary"
    BREAK = "break"


class Role(Labelled):
    PARTICIPANT = "participant"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


class VersionStatus(Labelled):
    DRAFT = "draft"
    PUBLISHED = "published"


class RunStatus(Labelled):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class InvitationState(Labelled):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ActionStatus(Labelled):
    OPEN = "open"
    DOING = "doing"
    DONE = "done"


LABELS = {
    ProposalStatus: {
        ProposalStatus.PROPOSED: _l("proposed"), ProposalStatus.ACCEPTED: _l("accepted"),
        ProposalStatus.DECLINED: _l("declined"), ProposalStatus.WITHDRAWN: _l("withdrawn"),
        ProposalStatus.MERGED: _l("merged"),
    },
    SlotKind: {SlotKind.OPEN: _l("open for sessions"), SlotKind.PLENARY: _l("plenary"), SlotKind.BREAK: _l("break")},
    Role: {Role.PARTICIPANT: _l("participant"), Role.FACILITATOR: _l("facilitator"), Role.ADMIN: _l("admin")},
    VersionStatus: {VersionStatus.DRAFT: _l("draft"), VersionStatus.PUBLISHED: _l("published")},
    RunStatus: {
        RunStatus.QUEUED: _l("waiting for the worker"), RunStatus.RUNNING: _l("running"),
        RunStatus.SUCCEEDED: _l("done"), RunStatus.FAILED: _l("failed"), RunStatus.CANCELLED: _l("stopped"),
    },
    InvitationState: {InvitationState.INVITED: _l("invited"), InvitationState.ACCEPTED: _l("accepted"),
                      InvitationState.DECLINED: _l("declined")},
    ActionStatus: {ActionStatus.OPEN: _l("to do"), ActionStatus.DOING: _l("in progress"),
                   ActionStatus.DONE: _l("done")},
}


def label(enum: type[Labelled], value: str) -> str:
    """The label of a stored value ('' for a value the enum does not know)."""
    try:
        return enum(value).label
    except ValueError:
        return ""


# The e-mails a person can choose to get (profile), by kind.
EMAIL_KINDS = {
    "invitations": _l("Invitations to co-facilitate"),
    "decisions": _l("Decisions about my proposals"),
    "changes": _l("Changes to my sessions and my agenda after each new schedule"),
    "announcements": _l("Announcements from the facilitators"),
}
