from sqlalchemy import func, select

from agenda.extensions import db
from agenda.models import Membership, User

from .conftest import PASSWORD, errors, login, outbox


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


def test_changing_the_password_ends_open_reset_links(app, make_user):
    """Someone who read a reset e-mail cannot use it after the owner changed the password."""
    import re

    from agenda.mail import deliver_pending

    make_user(email="rl@example.org")
    assert app.test_client().post("/forgot", data={"email": "rl@example.org"}).status_code == 200
    deliver_pending()
    link = re.search(r"http://agenda\.test(/reset/\S+)", outbox(app)[-1].get_content()).group(1)
    assert app.test_client().get(link).status_code == 200  # still open

    owner = app.test_client()
    login(owner, "rl@example.org")
    assert owner.post("/account/password", data={
        "pw-current": PASSWORD, "pw-password": "a new password", "pw-confirm": "a new password"}).status_code == 302

    thief = app.test_client()
    assert thief.get(link).status_code == 410
    taken = thief.post(link, data={"password": "the thief's own words", "confirm": "the thief's own words"})
    assert taken.status_code == 410
    assert login(app.test_client(), "rl@example.org", "the thief's own words").status_code == 200
    assert login(app.test_client(), "rl@example.org", "a new password").status_code == 302


def test_a_locked_account_still_opens_on_its_owners_known_device(app, make_user):
    app.config["LOGIN_LIMIT_ACCOUNT"] = 3
    make_user(email="owner@example.org")
    make_user(email="neighbour@example.org")
    phone = app.test_client()
    assert login(phone, "owner@example.org").status_code == 302  # the phone is known from now on
    phone.post("/logout")
    attacker = app.test_client()
    for _ in range(3):
        assert login(attacker, "owner@example.org", "guess guess guess").status_code == 200
    assert login(attacker, "owner@example.org").status_code == 429  # locked for strangers
    assert login(app.test_client(), "owner@example.org").status_code == 429
    assert login(phone, "owner@example.org").status_code == 302  # not for the owner's phone
    phone.post("/logout")
    # The phone is known for the owner's account only, and guesses from it have a limit of their own.
    for _ in range(3):
        assert login(phone, "neighbour@example.org", "guess guess guess").status_code == 200
    assert login(phone, "neighbour@example.org").status_code == 429
    for _ in range(3):
        assert login(phone, "owner@example.org", "guess guess guess").status_code == 200
    assert login(phone, "owner@example.org").status_code == 429


def test_a_forged_device_cookie_opens_nothing(app, make_user):
    from agenda.security import DEVICE_COOKIE

    app.config["LOGIN_LIMIT_ACCOUNT"] = 2
    make_user(email="owner@example.org")
    attacker = app.test_client()
    for _ in range(2):
        login(attacker, "owner@example.org", "guess guess guess")
    attacker.set_cookie(DEVICE_COOKIE, '{"d": "x", "a": []}')
    assert login(attacker, "owner@example.org").status_code == 429


def test_a_locked_venue_address_still_lets_in_people_on_their_known_devices(app, make_user):
    app.config["LOGIN_LIMIT_ADDRESS"] = 4
    make_user(email="regular@example.org")
    make_user(email="newcomer@example.org")
    laptop = app.test_client()
    assert login(laptop, "regular@example.org").status_code == 302
    laptop.post("/logout")
    for n in range(4):  # someone at the venue tries many accounts
        assert login(app.test_client(), f"victim{n}@example.org", "guess guess guess").status_code == 200
    assert login(app.test_client(), "newcomer@example.org").status_code == 429  # a new browser waits
    assert login(laptop, "regular@example.org").status_code == 302  # a known one does not


def test_refused_attempts_do_not_extend_the_lock(app, make_user):
    from datetime import timedelta

    from sqlalchemy import update

    from agenda.models import LoginAttempt, utcnow

    app.config["LOGIN_LIMIT_ACCOUNT"] = 3
    make_user(email="owner@example.org")
    attacker = app.test_client()
    for _ in range(3):
        assert login(attacker, "owner@example.org", "guess guess guess").status_code == 200
    failures = db.session.scalar(select(func.max(LoginAttempt.id)))
    for _ in range(10):  # the attacker keeps knocking while locked out
        assert login(attacker, "owner@example.org", "guess guess guess").status_code == 429
    # The three failures age out of the window: the lock opens, however often it was knocked on since.
    window = timedelta(seconds=app.config["LOGIN_LIMIT_WINDOW"])
    db.session.execute(update(LoginAttempt).where(LoginAttempt.id <= failures)
                       .values(at=utcnow() - window - timedelta(seconds=1)))
    db.session.commit()
    assert login(app.test_client(), "owner@example.org").status_code == 302


def test_a_password_reset_makes_the_browser_a_known_device(app, make_user):
    """An owner locked out by someone's guesses proves the address once, then logs in there."""
    import re

    from agenda.mail import deliver_pending

    app.config["LOGIN_LIMIT_ACCOUNT"] = 2
    make_user(email="owner@example.org")
    for _ in range(2):
        login(app.test_client(), "owner@example.org", "guess guess guess")
    laptop = app.test_client()
    assert laptop.post("/forgot", data={"email": "owner@example.org"}).status_code == 200
    deliver_pending()
    link = re.search(r"http://agenda\.test(/reset/\S+)", outbox(app)[-1].get_content()).group(1)
    assert laptop.post(link, data={"password": "a new password", "confirm": "a new password"}).status_code == 302
    laptop.post("/logout")
    assert login(app.test_client(), "owner@example.org", "a new password").status_code == 429
    assert login(laptop, "owner@example.org", "a new password").status_code == 302
