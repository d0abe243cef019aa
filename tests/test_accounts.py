from sqlalchemy import func, select

from agenda.extensions import db
from agenda.models import Membership, User

from .conftest import PASSWORD, errors, login


def register(client, **overrides):
    data = {"email": "ana@example.org", "display_name": "Ana", "password": PASSWORD,
            "confirm": PASSWORD}
    data.update(overrides)
    return client.post("/register", data=data)


def test_register_then_login_and_logout(client, make_event):
    event = make_event()
    response = register(client)
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "ana@example.org"))
    assert user.display_name == "Ana"
    assert user.password_hash.startswith("$argon2id$")
    # With a single event, registering joins it.
    assert user.role_in(event) == "participant"

    assert login(client, "ANA@example.org ").status_code == 302
    assert "Ana" in client.get(f"/{event.slug}/").get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/account").status_code == 302


def test_register_bad_input_shows_field_errors(client):
    response = register(client, email="not-an-email", display_name="", password="short",
                        confirm="other")
    assert response.status_code == 400
    shown = errors(response)
    assert "This is not an email address, e.g. name@example.org." in shown
    assert "This field is required." in shown
    assert "Field must be between 10 and 200 characters long." in shown
    assert "The passwords differ." in shown
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_register_refuses_control_characters(client):
    response = register(client, display_name="Ana\x00Bob")
    assert errors(response) == ["Control characters are not allowed here."]
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_register_does_not_reveal_taken_email(client, make_user):
    make_user(email="taken@example.org", display_name="First")
    fresh = register(client, email="new@example.org")
    taken = register(client, email="taken@example.org", display_name="Second")
    assert (fresh.status_code, fresh.headers["Location"]) == (taken.status_code, taken.headers["Location"])
    # The existing account is untouched.
    assert db.session.scalar(select(User.display_name).where(User.email == "taken@example.org")) == "First"


def test_register_needs_the_event_invite_code(client, make_event):
    event = make_event(invite_code="solidarity")
    page = client.get(f"/register?event={event.slug}").get_data(as_text=True)
    assert 'name="invite_code"' in page
    wrong = register(client, invite_code="guess")
    assert errors(wrong) == ["This invite code is not right for this event."]
    assert register(client, invite_code="solidarity").status_code == 302
    assert db.session.scalar(select(func.count(Membership.user_id))) == 1


def test_login_message_same_for_unknown_email_and_wrong_password(client, make_user):
    make_user(email="bea@example.org")
    unknown = login(client, "nobody@example.org")
    wrong = login(client, "bea@example.org", "wrong password!")
    assert errors(unknown) == errors(wrong) == ["Wrong email or password."]


def test_copied_cookie_stops_working_after_logout(app, make_user):
    make_user(email="cy@example.org")
    browser = app.test_client()
    login(browser, "cy@example.org")
    cookie = browser.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    assert thief.get("/account").status_code == 200
    browser.post("/logout")
    assert thief.get("/account").status_code == 302  # back to the login page


def test_password_change_logs_out_other_devices(app, make_user):
    make_user(email="di@example.org")
    phone, laptop = app.test_client(), app.test_client()
    login(phone, "di@example.org")
    login(laptop, "di@example.org")
    wrong = phone.post("/account/password", data={
        "pw-current": "not it at all", "pw-password": "a new password", "pw-confirm": "a new password"})
    assert errors(wrong) == ["That is not your current password."]
    ok = phone.post("/account/password", data={
        "pw-current": PASSWORD, "pw-password": "a new password", "pw-confirm": "a new password"})
    assert ok.status_code == 302
    assert phone.get("/account").status_code == 200
    assert laptop.get("/account").status_code == 302
    assert login(app.test_client(), "di@example.org", "a new password").status_code == 302


def test_profile_saves_name_and_languages(client, make_user):
    user = make_user(email="el@example.org")
    login(client, "el@example.org")
    response = client.post("/account", data={"display_name": "Quiet Heron", "languages": ["es", "fr"]})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.display_name, user.languages) == ("Quiet Heron", ["es", "fr"])
    too_long = client.post("/account", data={"display_name": "x" * 81})
    assert errors(too_long) == ["Field cannot be longer than 80 characters."]


def test_delete_account_removes_the_person(client, make_event, make_user):
    event = make_event()
    user = make_user(event, email="fa@example.org")
    user_id = user.id
    login(client, "fa@example.org")
    refused = client.post("/account/delete", data={"del-password": "wrong password", "del-sure": "y"})
    assert errors(refused) == ["That is not your password."]
    assert client.post("/account/delete", data={"del-password": PASSWORD, "del-sure": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user_id) is None
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 0
    assert login(client, "fa@example.org").status_code == 200  # no such account any more


def test_login_is_rate_limited_per_account(app, client, make_user):
    app.config["LOGIN_LIMIT_ACCOUNT"] = 3
    make_user(email="go@example.org")
    for _ in range(3):
        assert login(client, "go@example.org", "wrong password!").status_code == 200
    blocked = login(client, "go@example.org")  # even the right password waits now
    assert blocked.status_code == 429
    assert errors(blocked) == ["Too many login attempts. Wait a quarter of an hour and try again."]


def test_login_is_rate_limited_per_address(app, client, make_user):
    app.config["LOGIN_LIMIT_ADDRESS"] = 4
    for n in range(4):
        assert login(client, f"nobody{n}@example.org").status_code == 200
    assert login(client, "someone-else@example.org").status_code == 429


def test_logout_requires_csrf_token(app, make_user):
    app.config["WTF_CSRF_ENABLED"] = True
    make_user(email="ha@example.org")
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    login(client, "ha@example.org")
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200  # still logged in


def test_register_records_languages_spoken(client, make_event):
    make_event()
    register(client, email="es@example.org", languages=["es", "fr"])
    user = db.session.scalar(select(User).where(User.email == "es@example.org"))
    assert user.languages == ["es", "fr"]
