"""One-click unsubscribe from bulk e-mail (RFC 8058), without logging in.

The address in a message's List-Unsubscribe header is signed (mail.unsubscribe_url): who it is
for and which kind of e-mail. GET shows a page with a button (a link opened by a mail scanner
changes nothing); POST turns that kind of e-mail off. The POST is exempt from CSRF because the
signed address is itself the proof, and mail clients send it without any page or cookie.
"""

from flask import Blueprint, abort, render_template

from .extensions import csrf
from .mail import read_unsubscribe_token
from .permissions import permission
from .services import mailings

bp = Blueprint("unsubscribe", __name__)


def _load(token: str):
    found = mailings.unsubscriber(read_unsubscribe_token(token))
    if found is None:
        abort(404)
    return found


@bp.get("/unsubscribe/<signed>")
@permission("account.anonymous")
def confirm(signed):
    user, topic = _load(signed)
    return render_template("unsubscribe/confirm.html", token=signed, topic=mailings.topic_label(topic),
                           done=not user.wants_email(topic))


@csrf.exempt
@bp.post("/unsubscribe/<signed>")
@permission("account.anonymous")
def unsubscribe(signed):
    user, topic = _load(signed)
    mailings.unsubscribe(user, topic)
    return render_template("unsubscribe/confirm.html", token=signed, topic=mailings.topic_label(topic), done=True)
