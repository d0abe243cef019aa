"""The facilitator's evening: generate, watch, review, adjust and publish the schedule."""

from itertools import groupby

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms import SelectChoice

from .. import scheduling
from ..access import facilitator_required, get_by_id
from ..auth.forms import EmptyForm
from ..extensions import db
from ..models import Room, ScheduleVersion, Slot, SolveRun
from ..services import ServiceError
from ..services import schedule as svc
from .forms import GenerateForm, MoveForm, SwapForm

bp = Blueprint("facilitate", __name__, url_prefix="/<slug>/facilitate")


def _run(event, run_id) -> SolveRun:
    run = db.session.get(SolveRun, run_id)
    if run is None or run.event_id != event.id:
        abort(404)
    return run


def _version(event, number) -> ScheduleVersion:
    version = db.session.scalar(select(ScheduleVersion).where(
        ScheduleVersion.event_id == event.id, ScheduleVersion.number == number))
    if version is None:
        abort(404)
    return version


@bp.route("/", methods=["GET", "POST"])
@facilitator_required
def index(event):
    svc.reap_stale_runs()
    form = GenerateForm().fill(event, scheduling.default_now(event))
    if form.validate_on_submit():
        choice = form.now_slot.data or 0
        now_slot = None
        if choice > 0:
            now_slot = get_by_id(Slot, choice)
            if now_slot is None or now_slot.event_id != event.id:
                abort(404)
        elif choice == 0:
            now_slot = scheduling.default_now(event)
        try:
            run = svc.start_run(event, form.time_limit.data, now_slot)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            return redirect(url_for("facilitate.run", slug=event.slug, run_id=run.id))
    versions = db.session.scalars(select(ScheduleVersion).where(ScheduleVersion.event_id == event.id)
                                  .order_by(ScheduleVersion.number.desc())).all()
    runs = db.session.scalars(select(SolveRun).where(SolveRun.event_id == event.id)
                              .order_by(SolveRun.id.desc()).limit(5)).all()
    return render_template("facilitate/index.html", event=event, form=form, versions=versions, runs=runs,
                           active=svc.active_run(event))


def _run_state(run: SolveRun) -> dict:
    last = run.progress[-1] if run.progress else None
    elapsed = last[0] if last else 0
    return {
        "status": run.status, "elapsed": elapsed, "time_limit": run.time_limit,
        "objective": last[1] if last else None, "bound": last[2] if last else None,
        "percent": 100 if not run.active else min(99, int(100 * elapsed / max(1, run.time_limit))),
        "message": run.message, "version": run.version.number if run.version else None,
    }


@bp.get("/runs/<int:run_id>")
@facilitator_required
def run(event, run_id):
    svc.reap_stale_runs()
    run = _run(event, run_id)
    return render_template("facilitate/run.html", event=event, run=run, state=_run_state(run),
                           form=EmptyForm())


@bp.get("/runs/<int:run_id>.json")
@facilitator_required
def run_json(event, run_id):
    svc.reap_stale_runs()
    run = _run(event, run_id)
    state = _run_state(run)
    if run.version:
        state["version_url"] = url_for("facilitate.version", slug=event.slug, number=run.version.number)
    return jsonify(state)


@bp.post("/runs/<int:run_id>/cancel")
@facilitator_required
def cancel(event, run_id):
    run = _run(event, run_id)
    if EmptyForm().validate_on_submit():
        try:
            svc.cancel_run(run)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("Stopping: the best schedule found so far will be kept."), "success")
    return redirect(url_for("facilitate.run", slug=event.slug, run_id=run_id))


@bp.get("/versions/<int:number>")
@facilitator_required
def version(event, number):
    version = _version(event, number)
    now_slot = db.session.get(Slot, version.now_slot_id) if version.now_slot_id else None
    built = scheduling.build_problem(event, now_slot, pins_from=version)
    reports = scheduling.review(built, version)
    published = scheduling.published_version(event)
    # Compare with the public schedule; before anything is published, with the version before.
    against = published if published and published.id != version.id else None
    if published is None:
        against = db.session.scalar(select(ScheduleVersion).where(
            ScheduleVersion.event_id == event.id, ScheduleVersion.number < version.number)
            .order_by(ScheduleVersion.number.desc()).limit(1))
    changes = scheduling.diff(version, against)
    by_cell = {(a.slot_id, a.room_id): a for a in version.assignments}
    for a in version.assignments:
        if a.proposal.length == 2:
            following = _next_slot(event, a.slot)
            if following is not None:
                by_cell[(following.id, a.room_id)] = a
    days = [(day, list(slots)) for day, slots in groupby(event.slots, key=lambda s: s.local_start.date())]
    unscheduled = [p for p in built.proposals.values() if p.id not in {a.proposal_id for a in version.assignments}]
    move_form, swap_form = MoveForm(), SwapForm()
    scheduled = sorted(version.assignments, key=lambda a: a.proposal.title.lower())
    move_form.proposal.choices = [SelectChoice(a.proposal_id, a.proposal.title) for a in scheduled] + [
        SelectChoice(p.id, _("%(title)s (unscheduled)", title=p.title)) for p in unscheduled]
    move_form.slot.choices = [SelectChoice(s.id, f"{s.local_start:%a %d %b %H:%M}")
                              for s in event.slots if s.kind == "open"]
    move_form.room.choices = [SelectChoice(r.id, f"{r.name} ({r.capacity})") for r in event.rooms]
    swap_form.first.choices = swap_form.second.choices = [
        SelectChoice(a.proposal_id, f"{a.proposal.title} — {a.slot.local_start:%a %H:%M}") for a in scheduled]
    newest = scheduling.newest_version(event)
    return render_template(
        "facilitate/version.html", event=event, version=version, reports=reports, changes=changes,
        published=published, against=against, days=days, by_cell=by_cell, unscheduled=unscheduled, move_form=move_form,
        swap_form=swap_form, form=EmptyForm(), can_publish=version.status == "draft" and newest.id == version.id,
        figures=version.figures)


def _next_slot(event, slot):
    slots = list(event.slots)
    i = slots.index(slot)
    return slots[i + 1] if i + 1 < len(slots) else None


def _edit(event, number, action):
    version = _version(event, number)
    try:
        action(version)
    except ServiceError as err:
        flash(err.message, "error")
    else:
        flash(_("Saved. The checker's warnings are updated."), "success")
    return redirect(url_for("facilitate.version", slug=event.slug, number=number))


def _owned(model, event, object_id):
    obj = get_by_id(model, object_id)
    if obj is None or obj.event_id != event.id:
        abort(404)
    return obj


@bp.post("/versions/<int:number>/move")
@facilitator_required
def move(event, number):
    form = MoveForm()
    if not form.validate_on_submit():
        abort(400)
    slot, room = _owned(Slot, event, form.slot.data), _owned(Room, event, form.room.data)
    return _edit(event, number, lambda v: svc.move_session(v, form.proposal.data, slot, room))


@bp.post("/versions/<int:number>/swap")
@facilitator_required
def swap(event, number):
    form = SwapForm()
    if not form.validate_on_submit():
        abort(400)
    return _edit(event, number, lambda v: svc.swap_sessions(v, form.first.data, form.second.data))


@bp.post("/versions/<int:number>/sessions/<int:proposal_id>/<action>")
@facilitator_required
def session_action(event, number, proposal_id, action):
    if action not in ("pin", "unpin", "unschedule") or not EmptyForm().validate_on_submit():
        abort(404 if action not in ("pin", "unpin", "unschedule") else 400)
    if action == "unschedule":
        return _edit(event, number, lambda v: svc.unschedule_session(v, proposal_id))
    return _edit(event, number, lambda v: svc.set_pinned(v, proposal_id, action == "pin"))


@bp.post("/versions/<int:number>/publish")
@facilitator_required
def publish(event, number):
    version = _version(event, number)
    if EmptyForm().validate_on_submit():
        try:
            svc.publish_version(version)
        except ServiceError as err:
            flash(err.message, "error")
        else:
            flash(_("Version %(n)d is now the public schedule.", n=number), "success")
    return redirect(url_for("facilitate.version", slug=event.slug, number=number))


@bp.app_template_filter("slot_time")
def slot_time(slot, fmt="%a %d %b %H:%M"):
    return slot.local_start.strftime(fmt) if slot else ""

