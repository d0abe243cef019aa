"""Accounts: register, log in and out, profile, password, deletion."""

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..enums import EMAIL_KINDS
from ..extensions import db
from ..forms import EmptyForm, apply_field_error
from ..models import Event
from ..permissions import permission
from ..security import login_throttle, remember_device, start_session_clock, throttle, throttle_reset
from ..services import ServiceError, accounts
from ..urls import safe_next
from .forms import (
    DeleteAccountForm,
    ForgotForm,
    LoginForm,
    PasswordForm,
    ProfileForm,
    RegisterForm,
    ResetForm,
)

bp = Blueprint("auth", __name__)


def _registration_event() -> Event | None:
    """The event named by ?event=, or the only one; None when there is no single choice."""
    slug = request.args.get("event")
    if slug:
        event = db.session.scalar(select(Event).where(Event.slug == slug))
        if event is None:
            abort(404)
        return event
    events = db.session.scalars(select(Event).limit(2)).all()
    return events[0] if len(events) == 1 else None


@bp.route("/register", methods=["GET", "POST"])
@permission("account.anonymous")
def register():
    event = _registration_event()
    form = RegisterForm()
    if form.validate_on_submit():
        if not throttle("register", "REGISTER_LIMIT_ADDRESS"):
            form.form_errors.append(_("Too many accounts were made from here. Wait a quarter of an hour and "
                                      "try again."))
            return render_template("auth/register.html", form=form, event=event), 429
        try:
            accounts.register_user(
                form.email.data, form.display_name.data, form.password.data,
                event, form.invite_code.data, form.languages.data,
            )
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            # The same answer whether or not the email was already registered (its owner gets an
            # e-mail either way); the next page says what to do.
            session["registered_email"] = form.email.data.strip().lower()
            return redirect(url_for("auth.registered", event=event.slug if event else None))
    return render_template("auth/register.html", form=form, event=event), \
        400 if form.errors or form.form_errors else 200


@bp.get("/register/next")
@permission("account.anonymous")
def registered():
    email = session.get("registered_email", "")
    form = LoginForm(data={"email": email})
    event = db.session.scalar(select(Event).where(Event.slug == (request.args.get("event") or "")[:64]))
    return render_template("auth/registered.html", form=form, email=email, event=event)


@bp.route("/forgot", methods=["GET", "POST"])
@permission("account.anonymous")
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        if not throttle_reset(form.email.data):
            form.form_errors.append(_("Too many requests from here. Wait a quarter of an hour and try again."))
            return render_template("auth/forgot.html", form=form, sent=False), 429
        accounts.request_password_reset(form.email.data)
        # The same answer whether or not the address has an account.
        return render_template("auth/forgot.html", form=ForgotForm(formdata=None), sent=True,
                               email=form.email.data.strip(), hours=current_app.config["RESET_LINK_HOURS"])
    return render_template("auth/forgot.html", form=form, sent=False), 400 if form.errors else 200


@bp.route("/reset/<token>", methods=["GET", "POST"])
@permission("account.anonymous")
def reset(token):
    if accounts.reset_target(token) is None:
        return render_template("auth/reset.html", form=None, valid=False), 410  # gone: used, expired or never made
    form = ResetForm()
    if form.validate_on_submit():
        try:
            user = accounts.reset_password(token, form.password.data)
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            login_user(user)
            start_session_clock()
            flash(_("Your new password is set, and you are logged in. Other devices are logged out."), "success")
            return remember_device(redirect(url_for("events.index")), user.email)
    return render_template("auth/reset.html", form=form, valid=True), 400 if form.errors else 200


@bp.route("/login", methods=["GET", "POST"])
@permission("account.anonymous")
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        attempt = login_throttle(form.email.data)
        if not attempt.allowed():
            form.form_errors.append(
                _("Too many login attempts. Wait a quarter of an hour and try again.")
            )
            status = 429
        else:
            user = accounts.authenticate(form.email.data, form.password.data)
            if user is None:
                form.form_errors.append(_("Wrong email or password."))
            else:
                attempt.forget()  # only failures count: a venue's shared address stays usable
                login_user(user)
                start_session_clock()
                flash(_("Welcome, %(name)s.", name=user.display_name), "success")
                return remember_device(redirect(safe_next(request.args.get("next")) or url_for("events.index")),
                                       user.email)
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@permission("account.anonymous")
def logout():
    form = EmptyForm()
    if form.validate_on_submit() and current_user.is_authenticated:
        accounts.revoke_sessions(current_user)
        logout_user()
        flash(_("You are logged out."), "success")
        return forget_device(redirect(url_for("events.index")))
    return redirect(url_for("events.index"))


def forget_device(response):
    """The pages the service worker kept, and votes waiting to be sent, were this person's:
    the browser drops them (static/offline.js does too, before the form is sent)."""
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


@bp.route("/account", methods=["GET", "POST"])
@permission("account.own")
def profile():
    form = ProfileForm(obj=current_user)
    if not form.is_submitted():
        form.emails.data = [k for k in EMAIL_KINDS if current_user.wants_email(k)]
    if form.validate_on_submit():
        try:
            accounts.update_profile(current_user, form.display_name.data, form.languages.data,
                                    form.locale.data or None, {k: True for k in form.emails.data or []})
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            flash(_("Your profile is saved."), "success")
            return redirect(url_for("auth.profile"))
    return render_template(
        "auth/profile.html", form=form, password_form=PasswordForm(prefix="pw"),
        delete_form=DeleteAccountForm(prefix="del"),
    )


@bp.get("/account/data.json")
@permission("account.own")
def my_data():
    """Everything the app holds about the person, to download."""
    import json

    from ..services.privacy import personal_data

    body = json.dumps(personal_data(current_user), ensure_ascii=False, indent=1)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-agenda-data.json"'
    return response


@bp.route("/account/password", methods=["GET", "POST"])
@permission("account.own")
def change_password():
    form = PasswordForm(prefix="pw")
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current.data, form.password.data)
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            # The token changed: other copies of the cookie are out; keep this browser in.
            login_user(current_user._get_current_object())
            start_session_clock()
            flash(_("Your password is changed. Other devices are logged out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/password.html", form=form), 200 if not form.errors else 400


@bp.route("/account/delete", methods=["GET", "POST"])
@permission("account.own")
def delete_account():
    form = DeleteAccountForm(prefix="del")
    if form.validate_on_submit():
        try:
            accounts.delete_account(current_user, form.password.data)
        except ServiceError as err:
            apply_field_error(form, err.field, err.message)
        else:
            logout_user()
            flash(_("Your account and everything of yours are deleted."), "success")
            return forget_device(redirect(url_for("events.index")))
    return render_template("auth/delete.html", form=form), 200 if not form.errors else 400
