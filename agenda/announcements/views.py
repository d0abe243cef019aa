"""Announcements: facilitators post short updates; everyone reads them, also as an Atom feed."""

from xml.etree import ElementTree as ET

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from .. import cache
from ..access import loader
from ..forms import BaseForm, EmptyForm, apply_field_error
from ..models import Announcement
from ..permissions import permission
from ..services import ServiceError
from ..services import announcements as svc
from ..services.attendee import GUID_NAMESPACE
from ..urls import absolute

bp = Blueprint("announcements", __name__, url_prefix="/<slug>")


class AnnouncementForm(BaseForm):
    text = TextAreaField(_l("Announcement"), description=_l("Short and plain: people read it on a phone."),
                         validators=[DataRequired(), Length(max=500)])
    hours = IntegerField(_l("Show it for (hours)"), default=24,
                         validators=[InputRequired(), NumberRange(min=1, max=svc.MAX_HOURS,
                                                                  message=_l("Show it for 1 hour to 31 days."))])
    email_everyone = BooleanField(_l("Also e-mail it to every participant who wants announcements"))


@bp.route("/announcements", methods=["GET", "POST"])
@permission("announcement.post")
def manage(event):
    form = AnnouncementForm()
    if form.validate_on_submit():
        try:
            svc.post_announcement(event, current_user, form.text.data, form.hours.data, form.email_everyone.data)
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("The announcement is up."), "success")
            return redirect(url_for("announcements.manage", slug=event.slug))
    return render_template("announcements/manage.html", event=event, form=form,
                           announcements=svc.recent_announcements(event, 50), now=svc.utcnow(),
                           expire_form=EmptyForm()), 400 if form.errors else 200


@bp.post("/announcements/<int:announcement_id>/expire")
@permission("announcement.post")
def expire(event, announcement_id):
    announcement = loader(Announcement, "announcement_id")(event, {"announcement_id": announcement_id})
    if EmptyForm().validate_on_submit():
        svc.expire_announcement(announcement)
        flash(_("The announcement is taken down."), "success")
    return redirect(url_for("announcements.manage", slug=event.slug))


@bp.get("/announcements.atom")
@permission("schedule.view")
def atom(event):
    import uuid

    ns = "http://www.w3.org/2005/Atom"
    ET.register_namespace("", ns)
    feed = ET.Element(f"{{{ns}}}feed")
    items = svc.recent_announcements(event)
    ET.SubElement(feed, f"{{{ns}}}title").text = _("%(event)s: announcements", event=event.name)
    ET.SubElement(feed, f"{{{ns}}}id").text = f"urn:uuid:{uuid.uuid5(GUID_NAMESPACE, event.slug + '/announcements')}"
    ET.SubElement(feed, f"{{{ns}}}updated").text = (items[0].created_at if items else event.created_at).isoformat()
    schedule = absolute("schedule.index", slug=event.slug)  # where announcements are shown
    ET.SubElement(feed, f"{{{ns}}}link", href=schedule)
    ET.SubElement(feed, f"{{{ns}}}link", rel="self", href=absolute("announcements.atom", slug=event.slug))
    for a in items:
        entry = ET.SubElement(feed, f"{{{ns}}}entry")
        # The id comes from what the entry is (its event and time), so a restored backup keeps it.
        guid = uuid.uuid5(GUID_NAMESPACE, f"{event.slug}/a/{a.created_at.isoformat()}")
        ET.SubElement(entry, f"{{{ns}}}id").text = f"urn:uuid:{guid}"
        first = a.text.splitlines()[0]
        ET.SubElement(entry, f"{{{ns}}}title").text = first if len(first) <= 80 else \
            first[:79].rsplit(" ", 1)[0] + "…"
        ET.SubElement(entry, f"{{{ns}}}updated").text = a.created_at.isoformat()
        ET.SubElement(entry, f"{{{ns}}}link", rel="alternate", type="text/html", href=schedule)
        ET.SubElement(entry, f"{{{ns}}}content", type="text").text = a.text
        author = ET.SubElement(entry, f"{{{ns}}}author")
        ET.SubElement(author, f"{{{ns}}}name").text = _("The facilitators of %(event)s", event=event.name)
    body = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    stamps = [s for s in (items[0].created_at if items else None, event.content_changed_at) if s]
    # Feed readers poll: they get a 304 until an announcement (or the event's name) changes.
    return cache.conditional(Response(body, mimetype="application/atom+xml"), max(stamps) if stamps else None,
                             public=not current_user.is_authenticated)
