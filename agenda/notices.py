"""In-app notices in words: each kind with its parameters, in the reader's language."""

from __future__ import annotations

from flask_babel import gettext as _

from .models import Notice


def notice_text(n: Notice) -> str:
    p = n.params or {}
    title, name = p.get("title", ""), p.get("name", "")
    match n.kind:
        case "invited":
            return _("%(name)s invites you to co-facilitate '%(title)s'.", name=name, title=title)
        case "merged":
            return _("'%(other)s' and '%(keep)s' are merged into one joint session, '%(keep)s'.",
                     other=p.get("other", ""), keep=p.get("keep", ""))
        case "withdrawn":
            return _("'%(title)s' was withdrawn by %(name)s. It leaves the schedule with its next version.",
                     title=title, name=name)
        case "withdrawn_unscheduled":
            return _("'%(title)s' was withdrawn by %(name)s.", title=title, name=name)
        case "left":
            return _("%(name)s no longer co-facilitates '%(title)s'.", name=name, title=title)
        case "accepted":
            return _("'%(title)s' is accepted: it will be placed in the schedule.", title=title)
        case "declined":
            return _("'%(title)s' is declined by the facilitators.", title=title)
        case "account_deleted":
            return _("'%(title)s' was withdrawn: the account of the person who ran it was deleted.", title=title)
    return n.text
