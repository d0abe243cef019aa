"""Arrival: importing the participant list, sign-in links, badges, the venue poster, days present,
head counts."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..access import get_by_id, load_proposal
from ..dates import when
from ..extensions import db
from ..forms import EmptyForm, apply_field_error
from ..models import HeadCount, Membership, Slot, User
from ..permissions import permission
from ..scheduling import published_version
from ..security import start_session_clock, throttle_reset
from ..services import ServiceError
from ..services import arrival as svc
from ..urls import absolute
from .forms import DaysForm, FirstPasswordForm, HeadCountForm, ImportPeopleForm, SignInLinkForm

bp = Blueprint("arrival", __name__)


def qr_svg(url: str) -> str:
    """A QR code as inline SVG (made here, no network; no script, so the CSP allows it)."""
    import segno

    return segno.make(url, error="m").svg_inline(scale=4, border=2, omitsize=True, light="#fff")


@bp.app_template_filter("iso_day")
def iso_day(value: str, event) -> str:
    """"Tue 7 Nov" for a stored ISO date, in the reader's language."""
    from datetime import date

    return when(date.fromisoformat(value), event.tz, "short_day")


# Sign-in links


@bp.route("/sign-in/<token>", methods=["GET", "POST"])
@permission("account.anonymous")
def sign_in(token):
    """The page a link opens: one button, so that a mail scanner opening the link uses nothing."""
    target = svc.link_target(token)
    if target is None:
        return render_template("arrival/sign_in.html", form=None), 410
    form = EmptyForm()
    if form.validate_on_submit():
        try:
            user, event = svc.use_link(token)
        except ServiceError:
            return render_template("arrival/sign_in.html", form=None), 410
        login_user(user)
        start_session_clock()
        flash(_("Welcome, %(name)s. You are signed in.", name=user.display_name), "success")
        return redirect(url_for("proposals.index", slug=event.slug) if event else url_for("events.index"))
    return render_template("arrival/sign_in.html", form=form,
                           name=db.session.get(User, target.user_id).display_name)


@bp.route("/sign-in-link", methods=["GET", "POST"])
@permission("account.anonymous")
def request_link():
    form = SignInLinkForm()
    if form.validate_on_submit():
        if not throttle_reset(form.email.data):
            form.form_errors.append(_("Too many requests from here. Wait a quarter of an hour and try again."))
            return render_template("arrival/request_link.html", form=form, sent=False), 429
        svc.request_sign_in_link(form.email.data)
        # The same answer whether or not the address has an account.
        return render_template("arrival/request_link.html", form=SignInLinkForm(formdata=None), sent=True,
                               email=form.email.data.strip(), days=svc.LINK_DAYS)
    return render_template("arrival/request_link.html", form=form, sent=False), 400 if form.errors else 200


@bp.route("/account/first-password", methods=["GET", "POST"])
@permission("account.own")
def first_password():
    """For someone who signed in with a link and has no password yet (no current one to give)."""
    if current_user.password_hash:
        return redirect(url_for("auth.change_password"))
    form = FirstPasswordForm()
    if form.validate_on_submit():
        try:
            svc.set_first_password(current_user, form.password.data)
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            login_user(current_user._get_current_object())  # the session token changed: stay logged in here
            start_session_clock()
            flash(_("Your password is set: from now on, log in with your e-mail address and this password."), "success")
            return redirect(url_for("events.index"))
    return render_template("arrival/first_password.html", form=form), 400 if form.errors else 200


# The participant list


@bp.route("/<slug>/manage/people/import", methods=["GET", "POST"])
@permission("event.manage")
def import_people(event):
    form = ImportPeopleForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:  # the app's MAX_CONTENT_LENGTH bounds the file
            result = svc.import_people(event, form.file.data.read())
        except svc.ImportRefused as err:
            problems = err.problems
        else:
            flash(_("Imported: %(added)d added, %(updated)d updated, %(unchanged)d unchanged; %(invited)d "
                    "invitations sent.", added=result.added, updated=result.updated, unchanged=result.unchanged,
                    invited=result.invited), "success")
            return redirect(url_for("manage.people", slug=event.slug))
    status = 400 if form.errors or problems else 200
    return render_template("arrival/import.html", event=event, form=form, problems=problems), status


@bp.route("/<slug>/manage/people/<int:user_id>/days", methods=["GET", "POST"])
@permission("event.manage")
def days(event, user_id):
    membership = db.session.get(Membership, (user_id, event.id)) if get_by_id(User, user_id) else None
    if membership is None:
        abort(404)
    return _days_page(event, membership, url_for("manage.people", slug=event.slug))


@bp.route("/<slug>/my-days", methods=["GET", "POST"])
@permission("agenda.read")
def my_days(event):
    membership = db.session.get(Membership, (current_user.id, event.id))
    if membership is None:  # a site admin who has not joined
        abort(404)
    return _days_page(event, membership, url_for("proposals.index", slug=event.slug))


def _days_page(event, membership, back):
    choices = [SelectChoice(d.isoformat(), when(d, event.tz, "day")) for d in svc.event_days(event)]
    form = DaysForm()
    form.days.choices = choices
    if not form.is_submitted():
        form.days.data = membership.days if membership.days is not None else [c.value for c in choices]
    if form.validate_on_submit():
        try:
            svc.set_days(event, membership.user, form.days.data or [])
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("The days of %(name)s are saved.", name=membership.user.display_name), "success")
            return redirect(back)
    return render_template("arrival/days.html", event=event, form=form, person=membership.user, back=back), \
        400 if form.errors else 200


# Badges and the poster


@bp.get("/<slug>/manage/badges")
@permission("event.manage")
def badges(event):
    return render_template("arrival/badges.html", event=event, people=svc.badge_people(event), form=EmptyForm())


@bp.post("/<slug>/manage/badges/print")
@permission("event.manage")
def print_badges(event):
    if not EmptyForm().validate_on_submit():
        return redirect(url_for("arrival.badges", slug=event.slug))
    return badge_sheet(event, svc.print_badges(event))


def badge_sheet(event, badges, css: str | None = None) -> str:
    """The printable A4 sheet: eight badges a page. `flask agenda badges` writes it to a file,
    with its style inside (`css`) since it is opened from the disk."""
    return render_template("arrival/badge_sheet.html", event=event, css=css, count=len(badges),
                           pages=[badges[i:i + 8] for i in range(0, len(badges), 8)], qr=qr_svg)


@bp.post("/<slug>/manage/badges/<int:user_id>/revoke")
@permission("event.manage")
def revoke_badge(event, user_id):
    user = get_by_id(User, user_id)
    if user is None or db.session.get(Membership, (user_id, event.id)) is None:
        abort(404)
    if EmptyForm().validate_on_submit():
        svc.revoke_badge(event, user)
        flash(_("The badge of %(name)s no longer signs anyone in. Print a new one for them.",
                name=user.display_name), "success")
    return redirect(url_for("arrival.badges", slug=event.slug))


@bp.get("/<slug>/poster")
@permission("event.view")
def poster(event):
    url = absolute("proposals.index", slug=event.slug)
    return render_template("arrival/poster.html", event=event, url=url, qr=qr_svg(url))


# Head counts


def _slot_of(event, slot_id) -> Slot:
    slot = get_by_id(Slot, slot_id)
    if slot is None or slot.event_id != event.id:
        abort(404)
    return slot


@bp.get("/<slug>/facilitate/head-counts")
@permission("event.facilitate")
def head_counts_now(event):
    """The slot that has most recently started (the one to count now), else the first one."""
    from ..models import utcnow

    open_slots = [s for s in event.slots if s.kind == "open"]
    if not open_slots:
        flash(_("The event has no slots for sessions yet."), "error")
        return redirect(url_for("facilitate.index", slug=event.slug))
    started = [s for s in open_slots if s.start <= utcnow()]
    slot = started[-1] if started else open_slots[0]
    return redirect(url_for("arrival.head_counts", slug=event.slug, slot_id=slot.id))


@bp.route("/<slug>/facilitate/head-counts/<int:slot_id>", methods=["GET", "POST"])
@permission("event.facilitate")
def head_counts(event, slot_id):
    """The sessions of one slot, for the team walking the rooms to count."""
    slot = _slot_of(event, slot_id)
    version = published_version(event)
    runs = sorted((a for a in (version.assignments if version else ()) if a.slot_id == slot.id),
                  key=lambda a: (a.room.name, a.table or 0))
    form = EmptyForm()
    errors: dict[int, str] = {}
    if form.validate_on_submit():
        raw = {a.proposal_id: (request.form.get(f"count-{a.proposal_id}") or "").strip() for a in runs}
        errors = {pid: _("Enter a number of people from 0 to 100000.") for pid, value in raw.items()
                  if value and (not value.isdigit() or int(value) > 100000)}
        if not errors:
            svc.save_head_counts(slot.id, {pid: int(v) if v else None for pid, v in raw.items()}, current_user)
            flash(_("The head counts are saved."), "success")
            return redirect(url_for("arrival.head_counts", slug=event.slug, slot_id=slot.id))
    counts = {h.proposal_id: h.count for h in db.session.scalars(
        select(HeadCount).where(HeadCount.slot_id == slot.id))}
    values = {a.proposal_id: request.form.get(f"count-{a.proposal_id}", counts.get(a.proposal_id, ""))
              for a in runs}
    return render_template("arrival/head_counts.html", event=event, slot=slot, runs=runs, values=values,
                           errors=errors, form=form, slots=[s for s in event.slots if s.kind == "open"]), \
        400 if errors else 200


@bp.route("/<slug>/proposals/<int:proposal_id>/head-count", methods=["GET", "POST"])
@permission("notes.edit", load=load_proposal)
def session_head_count(event, proposal):
    """How many came to each run of one session, for its facilitators (from its notes page)."""
    version = published_version(event)
    runs = sorted((a for a in (version.assignments if version else ()) if a.proposal_id == proposal.id),
                  key=lambda a: a.slot.start)
    forms = []
    for a in runs:
        form = HeadCountForm(prefix=f"run{a.slot_id}")
        if form.is_submitted() and f"run{a.slot_id}-count" in request.form:
            if form.validate():
                svc.set_head_count(proposal.id, a.slot_id, form.count.data, current_user)
                flash(_("The head count is saved."), "success")
                return redirect(url_for("harvest.notes", slug=event.slug, proposal_id=proposal.id))
        else:
            count = db.session.get(HeadCount, (proposal.id, a.slot_id))
            form.count.data = count.count if count else None
        forms.append((a, form))
    bad = any(f.errors for _, f in forms)
    return render_template("arrival/session_head_count.html", event=event, proposal=proposal, forms=forms), \
        400 if bad else 200
