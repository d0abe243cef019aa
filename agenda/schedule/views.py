"""What attendees read: the published schedule, now and next, their agenda, feeds for other apps."""

import hashlib
import json
from datetime import UTC, datetime
from itertools import groupby

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from ..access import get_by_id, get_event
from ..auth.forms import EmptyForm
from ..exports import frab, ics, text
from ..extensions import db
from ..models import ScheduleVersion, Slot
from ..services import ServiceError
from ..services import attendee as svc

bp = Blueprint("schedule", __name__, url_prefix="/<slug>")


def _version(event):
    """The newest published version, or the published one named by ?version=N (404 if none)."""
    number = request.args.get("version", "")
    if not number:
        return svc.newest_published(event)
    if not number.isdigit() or len(number) > 9:
        abort(404)
    version = db.session.scalar(select(ScheduleVersion).where(
        ScheduleVersion.event_id == event.id, ScheduleVersion.number == int(number),
        ScheduleVersion.status == "published"))
    if version is None:
        abort(404)
    return version


def _conditional(response: Response, version, *extra) -> Response:
    """ETag and Last-Modified from the published version: a client that has it gets a 304."""
    basis = json.dumps([version.id if version else None, version.number if version else None, *extra])
    response.set_etag(hashlib.sha256(basis.encode()).hexdigest()[:32])
    if version is not None and version.published_at:
        response.last_modified = version.published_at
    if not current_user.is_authenticated:
        response.cache_control.public = True
        response.cache_control.max_age = 60
    return response.make_conditional(request)


def _base_url() -> str:
    return request.url_root


@bp.get("/schedule")
def index(slug):
    event = get_event(slug)
    version = _version(event)
    items = svc.items_of(version)
    language, fmt = request.args.get("language", ""), request.args.get("format", "")
    shown = [it for it in items if (not language or it.proposal.language == language)
             and (not fmt or it.proposal.format == fmt)]
    view = "grid" if request.args.get("view") == "grid" else "list"
    days = [(day, list(group)) for day, group in groupby(event.slots, key=lambda s: s.local_start.date())]
    by_start: dict[int, list] = {}
    for it in shown:
        by_start.setdefault(it.first_slot.id, []).append(it)
    cells = {(s.id, it.room.id): it for it in shown for s in it.slots}
    html = render_template(
        "schedule/index.html", event=event, version=version, days=days, by_start=by_start, cells=cells,
        view=view, language=language, fmt=fmt, visible=lambda it: svc.visible(it, current_user, event),
        newest=svc.newest_published(event), count=len(shown))
    return _conditional(Response(html), version, view, language, fmt, current_user.is_authenticated)


@bp.get("/schedule/sessions/<int:proposal_id>")
def session(slug, proposal_id):
    event = get_event(slug)
    version = svc.newest_published(event)
    item = next((it for it in svc.items_of(version) if it.proposal.id == proposal_id), None)
    if item is None:
        abort(404)
    html = render_template("schedule/session.html", event=event, item=item,
                           closed=not svc.visible(item, current_user, event))
    return _conditional(Response(html), version, proposal_id, current_user.is_authenticated)


def _moment(event) -> datetime:
    """Now, or the local time given as ?at=2017-11-08T11:30 (to preview a venue screen)."""
    at = request.args.get("at", "")
    if at:
        try:
            return datetime.fromisoformat(at).replace(tzinfo=event.tz).astimezone(UTC)
        except ValueError:
            abort(400)
    return datetime.now(UTC)


@bp.get("/now")
def now(slug):
    event = get_event(slug)
    version = svc.newest_published(event)
    moment = _moment(event)
    items = svc.items_of(version)
    current = next((s for s in event.slots if s.start <= moment < s.end), None)
    upcoming = next((s for s in event.slots if s.start > moment and s.kind != "break"), None)

    def running(slot):
        return [it for it in items if slot in it.slots] if slot else []

    html = render_template(
        "schedule/now.html", event=event, version=version, current=current, upcoming=upcoming,
        on_now=running(current), on_next=running(upcoming), moment=moment,
        over=bool(event.slots) and moment >= event.slots[-1].end,
        visible=lambda it: svc.visible(it, current_user, event))
    response = Response(html)
    response.headers["Refresh"] = "60"  # venue screens update themselves, no JavaScript needed
    return response


def _feed(body, mimetype, version, filename, *extra):
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return _conditional(response, version, *extra)


def _public_items(event, version):
    return [it for it in svc.items_of(version) if it.proposal.visibility == "public"]


@bp.get("/schedule.ics")
def schedule_ics(slug):
    event = get_event(slug)
    version = svc.newest_published(event)
    stamp = version.published_at if version else datetime.combine(event.first_day, datetime.min.time(), UTC)
    body = ics.calendar(event, _public_items(event, version), event.name, stamp,
                        svc.sequences(event, version) if version else {}, _base_url())
    return _feed(body, "text/calendar", version, f"{event.slug}.ics")


@bp.get("/schedule.xml")
def schedule_xml(slug):
    event = get_event(slug)
    version = svc.newest_published(event)
    body = frab.schedule_xml(event, version, _public_items(event, version), _base_url())
    return _feed(body, "application/xml", version, "schedule.xml")


@bp.get("/schedule.json")
def schedule_json(slug):
    event = get_event(slug)
    version = svc.newest_published(event)
    data = frab.schedule_json(event, version, _public_items(event, version), _base_url())
    return _feed(json.dumps(data, ensure_ascii=False, indent=1), "application/json", version, "schedule.json")


@bp.get("/agenda/<token>.ics")
def personal_ics(slug, token):
    event = get_event(slug)
    user = svc.user_for_token(event, token)
    if user is None:
        abort(404)  # no hint whether the event or the address ever existed
    version = svc.newest_published(event)
    stamp = version.published_at if version else datetime.combine(event.first_day, datetime.min.time(), UTC)
    rows = svc.personal_agenda(user, event, version) if version else []
    items, seen = [], set()
    for row in rows:
        for it in row.mine + row.wanted:
            if it.proposal.id not in seen:
                seen.add(it.proposal.id)
                items.append(it)
    body = ics.calendar(event, items, f"{event.name}: {user.display_name}", stamp,
                        svc.sequences(event, version) if version else {}, _base_url())
    response = _feed(body, "text/calendar", version, f"{event.slug}-agenda.ics", token, sorted(seen))
    response.cache_control.public = False
    response.cache_control.private = True
    return response


@bp.get("/me/agenda")
@login_required
def agenda(slug):
    event = get_event(slug)
    version = svc.newest_published(event)
    rows = svc.personal_agenda(current_user, event, version) if version else []
    changes = svc.changes_since_seen(current_user, event, version) if version else []
    token = svc.calendar_token(current_user, event)
    days = [(day, list(group)) for day, group in groupby(rows, key=lambda r: r.slot.local_start.date())]
    moment = datetime.now(UTC)
    upcoming = next((r for r in rows if r.going is not None and r.slot.end > moment), None)
    return render_template(
        "schedule/agenda.html", event=event, version=version, days=days, changes=changes, upcoming=upcoming,
        feed_url=url_for("schedule.personal_ics", slug=event.slug, token=token, _external=True),
        form=EmptyForm())


@bp.get("/me/agenda.txt")
@login_required
def agenda_text(slug):
    event = get_event(slug)
    version = svc.newest_published(event)
    if version is None:
        body = _("The schedule of %(event)s is not published yet.", event=event.name) + "\n"
    else:
        body = text.agenda_text(event, svc.personal_agenda(current_user, event, version), current_user.display_name)
    return Response(body, mimetype="text/plain")


@bp.post("/me/agenda/choose")
@login_required
def choose(slug):
    event = get_event(slug)
    slot = get_by_id(Slot, request.form.get("slot", type=int))
    if slot is None or slot.event_id != event.id or not EmptyForm().validate_on_submit():
        abort(404 if slot is None or slot.event_id != event.id else 400)
    try:
        svc.choose_session(current_user, event, slot, request.form.get("proposal", type=int) or 0)
    except ServiceError as err:
        flash(err.message, "error")
    return redirect(url_for("schedule.agenda", slug=event.slug) + f"#slot-{slot.id}")


@bp.post("/me/calendar/renew")
@login_required
def renew_calendar(slug):
    event = get_event(slug)
    if EmptyForm().validate_on_submit():
        svc.calendar_token(current_user, event, renew=True)
        flash(_("Your calendar has a new address; the old one no longer works."), "success")
    return redirect(url_for("schedule.agenda", slug=event.slug))
