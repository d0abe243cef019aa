from sqlalchemy import func, select

from agenda.extensions import db
from agenda.models import Event, Membership, Room, Slot, User

from .conftest import login


def test_demo_loads_campaigncon_and_prints_logins(app, runner, monkeypatch):
    monkeypatch.setenv("AGENDA_DEMO_PASSWORD", "demo password 123")
    result = runner.invoke(args=["agenda", "demo"])
    assert result.exit_code == 0, result.output
    assert "Demo logins (password: demo password 123):" in result.output
    for email in ("admin@example.org", "facilitator@example.org", "participant@example.org"):
        assert email in result.output
    event = db.session.scalar(select(Event).where(Event.slug == "campaigncon-2017"))
    assert (event.first_day.isoformat(), event.last_day.isoformat()) == ("2017-11-07", "2017-11-09")
    members = db.session.scalar(select(func.count()).select_from(Membership))
    assert members == 112
    labels = db.session.scalars(select(Slot.label).where(Slot.kind == "plenary")).all()
    assert any("state of global campaigning" in label for label in labels)
    bazaar = db.session.scalars(select(Slot.label).where(Slot.label.like("Campaign Bazaar%"))).all()
    assert len(bazaar) == 3  # rounds of the bazaar, at the tables of the main hall
    assert db.session.scalar(select(Room.tables).where(Room.name == "Main hall")) == 14
    assert any("Closing circle" in label for label in labels)
    capacities = db.session.scalars(select(Room.capacity)).all()
    assert max(capacities) >= 100 and min(capacities) <= 20
    speakers = db.session.scalars(select(User.languages)).all()
    assert any("es" in langs for langs in speakers) and any("fr" in langs for langs in speakers)
    # The demo accounts can log in with the printed password; generated people cannot.
    client = app.test_client()
    assert login(client, "facilitator@example.org", "demo password 123").status_code == 302
    assert client.get("/campaigncon-2017/manage/rooms").status_code == 200

    again = runner.invoke(args=["agenda", "demo", "--if-empty"])
    assert "was not loaded again" in again.output
    assert db.session.scalar(select(func.count(Event.id))) == 1


def test_a_first_visitor_of_the_demo_sees_its_published_schedule_an_announcement_and_a_harvest(
        app, runner, monkeypatch):
    import html

    from agenda.demo import DEMO_ANNOUNCEMENT, DEMO_NOTES, DEMO_SESSION
    from agenda.models import OutboxMessage, ScheduleVersion

    monkeypatch.setenv("AGENDA_DEMO_PASSWORD", "demo password 123")
    assert runner.invoke(args=["agenda", "demo", "--if-empty"]).exit_code == 0
    version = db.session.scalar(select(ScheduleVersion).where(ScheduleVersion.status == "published"))
    assert version is not None and len(version.assignments) >= 40
    visitor = app.test_client()
    home = visitor.get("/", follow_redirects=True)
    shown = html.unescape(home.get_data(as_text=True))
    assert home.request.path == "/campaigncon-2017/schedule"
    assert DEMO_ANNOUNCEMENT in shown and DEMO_SESSION in shown and "Main hall" in shown
    # The bazaar at numbered tables, pitches repeated in its rounds.
    assert "Main hall · table" in shown and "also at" in shown
    harvest = html.unescape(visitor.get("/campaigncon-2017/harvest").get_data(as_text=True))
    assert DEMO_SESSION in harvest and DEMO_NOTES in harvest and "Write up the case study" in harvest
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0  # made-up people: nobody e-mailed
    # An admin still reaches the list of events, to create another.
    admin = app.test_client()
    login(admin, "admin@example.org", "demo password 123")
    listing = admin.get("/")
    assert listing.status_code == 200 and "/events/new" in listing.get_data(as_text=True)


def test_demo_password_is_generated_once_and_kept_private(app, runner, monkeypatch):
    monkeypatch.delenv("AGENDA_DEMO_PASSWORD", raising=False)
    first = runner.invoke(args=["agenda", "demo"]).output
    second = runner.invoke(args=["agenda", "demo", "--if-empty"]).output
    line = [x for x in first.splitlines() if x.startswith("Demo logins")][0]
    assert line in second
    assert "password: dev" not in line and len(line) > len("Demo logins (password: ):") + 12


def test_create_admin_makes_a_site_admin(app, runner, make_event):
    event = make_event()
    result = runner.invoke(args=["agenda", "create-admin", "root@example.org"],
                           input="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "root@example.org"))
    assert user.is_admin and user.role_in(event) == "admin"
    short = runner.invoke(args=["agenda", "create-admin", "x@example.org", "--password", "short"])
    assert short.exit_code == 2
    assert "use at least 10 characters" in short.output
