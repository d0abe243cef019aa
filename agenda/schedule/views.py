"""What attendees read: the published schedule, now and next, their agenda, feeds for other apps."""

from contextlib import nullcontext
from datetime import UTC, datetime

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from .. import cache
from ..access import get_by_id
from ..exports import frab, ics, sms, text
from ..extensions import db
from ..forms import EmptyForm
from ..models import Assignment, ProposalRevision, ScheduleVersion, Slot, utcnow
from ..permissions import permission
from ..services import ServiceError
from ..services import attendee as svc
from ..services.announcements import current_announcements
from ..services.replays import valid_key
from ..urls import absolute, base_url

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


def last_modified(event, version) -> datetime | None:
    stamps = [s for s in (version.published_at if version else None, event.content_changed_at) if s]
    return max(stamps) if stamps else None


def _conditional(response: Response, event, version, private: bool = False) -> Response:
    """A client holding this page or feed, in this language, gets a 304 until something it reads changes."""
    return cache.conditional(response, last_modified(event, version),
                             public=not current_user.is_authenticated and not private)


@bp.get("/schedule")
@permission("schedule.view")
def index(event):
    version = _version(event)
    frame = svc.frame_of(version, event)
    items = svc.items_of(version, frame)
    language, fmt = request.args.get("language", ""), request.args.get("format", "")
    shown = [it for it in items if (not language or it.proposal.language == language)
             and (not fmt or it.proposal.format == fmt)]
    view = "grid" if request.args.get("view") == "grid" else "list"
    by_start: dict[int, list] = {}
    for it in shown:
        by_start.setdefault(it.first_slot.id, []).append(it)
    cells: dict[tuple[int, int], list] = {}
    for it in shown:
        for s in it.slots:
            cells.setdefault((s.id, it.room.id), []).append(it)
    html = render_template(
        "schedule/index.html", event=event, version=version, frame=frame, days=frame.days(), by_start=by_start,
        cells=cells, view=view, language=language, fmt=fmt, visible=lambda it: svc.visible(it, current_user, event),
        newest=svc.newest_published(event), count=len(shown), announcements=current_announcements(event))
    return _conditional(Response(html), event, version)


@bp.get("/schedule/tables")
@permission("schedule.view")
def tables(event):
    """The published table plan, hall by hall and slot by slot, to print for the venue."""
    from ..services.frames import table_plan

    version = svc.newest_published(event)
    frame = svc.frame_of(version, event)
    html = render_template("schedule/tables.html", event=event, version=version, frame=frame, public=True,
                           plan=table_plan(frame, svc.items_of(version, frame)),
                           visible=lambda it: svc.visible(it, current_user, event))
    return _conditional(Response(html), event, version)


@bp.get("/schedule/sessions/<int:proposal_id>", endpoint="session")
@permission("schedule.view")
def session_page(event, proposal_id):
    version = svc.newest_published(event)
    frame = svc.frame_of(version, event)
    runs = [it for it in svc.items_of(version, frame) if it.proposal.id == proposal_id]
    if not runs:
        abort(404)
    from ..services import harvest

    proposal = runs[0].proposal
    entry = (harvest.Entry(proposal, harvest.notes_of(proposal), harvest.action_items_of(proposal))
             if harvest.can_read_notes(current_user, proposal) else None)
    html = render_template("schedule/session.html", event=event, item=runs[0], runs=runs, frame=frame,
                           closed=not svc.visible(runs[0], current_user, event), entry=entry,
                           owner_name=harvest.owner_name)
    return _conditional(Response(html), event, version)


def _moment(event) -> datetime:
    """Now, or the local time given as ?at=2017-11-08T11:30 (to preview a venue screen)."""
    at = request.args.get("at", "")
    if at:
        try:
            return datetime.fromisoformat(at[:40]).replace(tzinfo=event.tz).astimezone(UTC)
        except (ValueError, OverflowError):
            abort(400)
    return datetime.now(UTC)


@bp.get("/now")
@permission("schedule.view")
def now(event):
    version = svc.newest_published(event)
    frame = svc.frame_of(version, event)
    moment = _moment(event)
    items = svc.items_of(version, frame)
    current = next((s for s in frame.slots if s.start <= moment < s.end), None)
    upcoming = next((s for s in frame.slots if s.start > moment and s.kind != "break"), None)

    def running(slot):
        return [it for it in items if slot in it.slots] if slot else []

    html = render_template(
        "schedule/now.html", event=event, version=version, frame=frame, current=current, upcoming=upcoming,
        on_now=running(current), on_next=running(upcoming), moment=moment,
        over=bool(frame.slots) and moment >= frame.slots[-1].end, announcements=current_announcements(event),
        visible=lambda it: svc.visible(it, current_user, event))
    response = Response(html)
    response.headers["Refresh"] = "60"  # venue screens update themselves, no JavaScript needed
    return response


def _feed(body, mimetype, event, version, filename, private=False):
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return _conditional(response, event, version, private)


def _public(items):
    return [it for it in items if it.proposal.visibility == "public"]


def version_label(version) -> str:
    """frab's <version>: the published number, and how often a session's text changed since."""
    if version is None:
        return "unpublished"
    edits = db.session.scalar(select(func.count(ProposalRevision.id)).where(
        ProposalRevision.proposal_id.in_(select(Assignment.proposal_id).where(Assignment.version_id == version.id)),
        ProposalRevision.at > version.published_at))
    return f"v{version.number}" + (f".{edits}" if edits else "")


@bp.get("/schedule.ics")
@permission("schedule.view")
def schedule_ics(event):
    version = svc.newest_published(event)
    frame = svc.frame_of(version, event)
    items = _public(svc.items_of(version, frame))
    stamp = last_modified(event, version) or ics.empty_stamp(event)
    body = ics.public_calendar(event, frame, items, svc.fixed_items(frame) if version else [], event.name, stamp,
                               svc.history(event, version), base_url())
    return _feed(body, "text/calendar", event, version, f"{event.slug}.ics")


@bp.get("/schedule.xml")
@permission("schedule.view")
def schedule_xml(event):
    version = svc.newest_published(event)
    frame = svc.frame_of(version, event)
    body = frab.schedule_xml(event, frame, version_label(version), _public(svc.items_of(version, frame)),
                             svc.fixed_items(frame) if version else [], base_url())
    return _feed(body, "application/xml", event, version, "schedule.xml")


@bp.get("/schedule.json")
@permission("schedule.view")
def schedule_json(event):
    import json

    version = svc.newest_published(event)
    frame = svc.frame_of(version, event)
    data = frab.schedule_json(event, frame, version_label(version), _public(svc.items_of(version, frame)),
                              svc.fixed_items(frame) if version else [], base_url())
    return _feed(json.dumps(data, ensure_ascii=False, indent=1), "application/json", event, version,
                 "schedule.json")


@bp.get("/agenda/<token>.ics")
@permission("agenda.feed")
def personal_ics(event, token):
    user = svc.user_for_token(event, token) if len(token) <= 64 else None
    if user is None:
        abort(404)  # no hint whether the event or the address ever existed
    version = svc.newest_published(event)
    frame = svc.frame_of(version, event)
    stamp = last_modified(event, version) or ics.empty_stamp(event)
    rows = svc.personal_agenda(user, event, version) if version else []
    from ..services.proposals import voted_ids

    mine = voted_ids(user, event) | {it.proposal.id for r in rows for it in r.mine}
    # The feed speaks its owner's language (their profile's; else whatever the calendar app asks for).
    with force_locale(user.locale) if user.locale else nullcontext():
        body = ics.personal_calendar(event, frame, rows, svc.fixed_items(frame) if version else [],
                                     _("%(event)s: %(name)s", event=event.name, name=user.display_name), stamp,
                                     svc.history(event, version), base_url(), mine)
    response = _feed(body, "text/calendar", event, version, f"{event.slug}-agenda.ics", private=True)
    response.cache_control.public = False
    response.cache_control.private = True
    return response


@bp.get("/me/agenda")
@permission("agenda.read")
def agenda(event):
    version = svc.newest_published(event)
    frame = svc.frame_of(version, event)
    rows = svc.personal_agenda(current_user, event, version) if version else []
    # What I last looked at lives in the signed session cookie: reading a page writes nothing.
    seen = session.get("seen", {})
    changes = svc.changes_since(current_user, event, version, seen.get(str(event.id))) if version else []
    # The service worker's copy fetched in the background (static/sw.js) is no look by the person.
    if version is not None and request.headers.get("Purpose") != "prefetch":
        session["seen"] = {**seen, str(event.id): [version.id, utcnow().isoformat()]}
    token = svc.calendar_token(current_user, event)
    days = {}
    for row in rows:
        days.setdefault(row.slot.local_start.date(), []).append(row)
    moment = datetime.now(UTC)
    upcoming = next((r for r in rows if r.going is not None and r.slot.end > moment), None)
    return render_template(
        "schedule/agenda.html", event=event, version=version, frame=frame, days=list(days.items()),
        changes=changes, upcoming=upcoming, announcements=current_announcements(event),
        feed_url=absolute("schedule.personal_ics", slug=event.slug, token=token) if token else None,
        form=EmptyForm())


@bp.get("/me/agenda.txt")
@permission("agenda.read")
def agenda_text(event):
    """The agenda as plain text; with ?short=1 the size of text messages (GSM characters, each day
    at most three SMS), as a bot would send it."""
    version = svc.newest_published(event)
    short = request.args.get("short") == "1"
    if version is None:
        body = _("The schedule of %(event)s is not published yet.", event=event.name) + "\n"
        body = sms.gsm(body) if short else body
    elif short:
        body = sms.agenda_sms(svc.frame_of(version, event), svc.personal_agenda(current_user, event, version))
    else:
        body = text.agenda_text(event, svc.frame_of(version, event),
                                svc.personal_agenda(current_user, event, version), current_user.display_name)
    return Response(body, mimetype="text/plain")


@bp.post("/me/agenda/choose")
@permission("agenda.read")
def choose(event):
    slot = get_by_id(Slot, request.form.get("slot", type=int))
    if slot is None or slot.event_id != event.id:
        abort(404)
    key = request.form.get("idempotency_key")  # sent by static/offline.js with a choice kept offline
    if not EmptyForm().validate_on_submit() or not valid_key(key):
        abort(400)
    wants_json = request.accept_mimetypes.best == "application/json"
    proposal_id = request.form.get("proposal", type=int) or 0
    try:
        svc.choose_session(current_user, event, slot, proposal_id, key)
    except ServiceError as err:
        if wants_json:
            return jsonify(ok=False, message=err.message), 409
        flash(err.message, "error")
    else:
        if wants_json:
            return jsonify(ok=True, chosen=proposal_id)
    return redirect(url_for("schedule.agenda", slug=event.slug) + f"#slot-{slot.id}")


@bp.post("/me/calendar")
@permission("agenda.read")
def renew_calendar(event):
    if EmptyForm().validate_on_submit():
        had = svc.calendar_token(current_user, event) is not None
        svc.make_calendar_token(current_user, event)
        flash(_("Your calendar has a new address; the old one no longer works.") if had
              else _("Your calendar address is ready: add it to your calendar app."), "success")
    return redirect(url_for("schedule.agenda", slug=event.slug) + "#calendar")
