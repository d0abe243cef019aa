"""The harvest: each session's notes and action items, and the page that gathers them."""

import json

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import EmailField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ..access import load_proposal, owned
from ..enums import ActionStatus
from ..extensions import db
from ..forms import BaseForm, apply_field_error
from ..models import ActionItem, Membership, User
from ..permissions import permission
from ..services import ServiceError
from ..services import harvest as svc

bp = Blueprint("harvest", __name__, url_prefix="/<slug>")
bp.add_app_template_global(svc.safe_link, "safe_link")  # notes' links become links only when harmless


class NotesForm(BaseForm):
    summary = TextAreaField(_l("What happened"), description=_l("What was shared, decided, learnt."),
                            validators=[Optional(), Length(max=10000)])
    links = TextAreaField(_l("Links"), description=_l("One per line: slides, documents, groups to join."),
                          validators=[Optional(), Length(max=3000)])


class ActionForm(BaseForm):
    text = StringField(_l("Action item"), validators=[DataRequired(), Length(max=500)])
    owner = SelectField(_l("Who does it"), coerce=int, validate_choice=False, validators=[Optional()])
    owner_text = StringField(_l("Or a name"), description=_l("Someone who has no account here."),
                             validators=[Optional(), Length(max=100)])


class StatusForm(BaseForm):
    status = SelectField(_l("Status"), validate_choice=False)


class EditorForm(BaseForm):
    email = EmailField(_l("E-mail of a participant who may edit these notes"),
                       validators=[DataRequired(), Length(max=254)])


def _filters():
    return {k: (request.args.get(k) or "")[:100] for k in ("format", "language", "q")}


@bp.get("/harvest")
@permission("schedule.view")
def index(event):
    filters = _filters()
    entries = svc.harvest(event, current_user, filters["format"], filters["language"], filters["q"])
    return render_template("harvest/index.html", event=event, entries=entries, filters=filters,
                           shown={k: v for k, v in filters.items() if v}, owner_name=svc.owner_name)


@bp.get("/harvest.md")
@permission("schedule.view")
def markdown(event):
    filters = _filters()
    body = svc.as_markdown(event, svc.harvest(event, current_user, filters["format"], filters["language"],
                                              filters["q"]))
    response = Response(body, mimetype="text/markdown")
    response.headers["Content-Disposition"] = f'inline; filename="{event.slug}-harvest.md"'
    return response


@bp.get("/harvest.json")
@permission("schedule.view")
def as_json(event):
    filters = _filters()
    data = svc.as_json(event, svc.harvest(event, current_user, filters["format"], filters["language"], filters["q"]))
    return Response(json.dumps(data, ensure_ascii=False, indent=1), mimetype="application/json")


def _action_form(event) -> ActionForm:
    form = ActionForm()
    people = db.session.scalars(select(User).join(Membership).where(Membership.event_id == event.id)
                                .order_by(User.display_name)).all()
    form.owner.choices = [SelectChoice(0, _("nobody in particular"))] + [SelectChoice(u.id, u.display_name)
                                                                          for u in people]
    return form


@bp.route("/sessions/<int:proposal_id>/notes", methods=["GET", "POST"])
@permission("notes.edit", load=load_proposal)
def notes(event, proposal):
    current = svc.notes_of(proposal)
    form = NotesForm(data={"summary": current.summary, "links": current.links} if current else None)
    if form.validate_on_submit():
        try:
            svc.save_notes(proposal, current_user, form.summary.data or "", form.links.data or "")
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("The notes are saved."), "success")
            return redirect(url_for("harvest.notes", slug=event.slug, proposal_id=proposal.id))
    status = StatusForm()
    status.status.choices = [SelectChoice(s.value, s.label) for s in ActionStatus]
    return render_template("harvest/notes.html", event=event, proposal=proposal, form=form,
                           action_form=_action_form(event), status_form=status, editor_form=EditorForm(),
                           items=svc.action_items_of(proposal), owner_name=svc.owner_name), 400 if form.errors else 200


@bp.post("/sessions/<int:proposal_id>/notes/items")
@permission("notes.edit", load=load_proposal)
def add_item(event, proposal):
    form = _action_form(event)
    if form.validate_on_submit():
        try:
            svc.add_action_item(proposal, form.text.data, form.owner.data or None, form.owner_text.data or "")
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
            flash(err.message, "error")
        else:
            flash(_("The action item is added."), "success")
    else:
        flash(_("Write what is to be done, in one line."), "error")
    return redirect(url_for("harvest.notes", slug=event.slug, proposal_id=proposal.id) + "#items")


def _item(proposal, item_id) -> ActionItem:
    item = db.session.get(ActionItem, item_id)
    if item is None or item.proposal_id != proposal.id:
        abort(404)
    return item


@bp.post("/sessions/<int:proposal_id>/notes/items/<int:item_id>")
@permission("notes.edit", load=load_proposal)
def update_item(event, proposal, item_id):
    item = _item(proposal, item_id)
    form = StatusForm()
    back = url_for("harvest.notes", slug=event.slug, proposal_id=proposal.id) + "#items"
    if form.validate_on_submit():
        if request.form.get("delete") == "1" and request.form.get("confirmed") != "1":
            return render_template("manage/confirm.html", event=event, kind="action_item", item=item,
                                   proposal=proposal, impact=None, form=form, back=back,
                                   action=url_for("harvest.update_item", slug=event.slug, proposal_id=proposal.id,
                                                  item_id=item.id))
        try:
            if request.form.get("delete") == "1":
                svc.delete_action_item(item)
                flash(_("The action item is deleted."), "success")
            else:
                svc.set_action_status(item, form.status.data)
        except ServiceError as err:
            flash(err.message, "error")
    return redirect(back)


@bp.post("/sessions/<int:proposal_id>/notes/editors")
@permission("notes.edit", load=load_proposal)
def add_editor(event, proposal):
    form = EditorForm()
    if form.validate_on_submit():
        svc.allow_editor(proposal, form.email.data)
        flash(_("If %(email)s belongs to a participant of this event, they can now edit these notes.",
                email=form.email.data.strip()), "success")
    else:
        flash(_("Give an email address."), "error")
    return redirect(url_for("harvest.notes", slug=event.slug, proposal_id=proposal.id))


__all__ = ["bp", "owned"]
