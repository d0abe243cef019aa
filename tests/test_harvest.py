"""Announcements, the harvest (notes and action items), and what an event keeps after its
retention date; people's own data."""

import html
import json
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from lxml import etree
from markdown_it import MarkdownIt
from sqlalchemy import func, select, update

from agenda.extensions import db
from agenda.mail import deliver_pending
from agenda.models import (
    ActionItem,
    AgendaChoice,
    Announcement,
    CalendarToken,
    Event,
    Proposal,
    ScheduleVersion,
    SessionNotes,
    User,
    Vote,
    utcnow,
)
from agenda.services import attendee

from .conftest import DEMO_PASSWORD, client_for, errors, outbox, publish_new

ATOM = "{http://www.w3.org/2005/Atom}"


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def published(app, demo):
    return publish_new(demo)


# Announcements


def test_an_announcement_shows_on_the_schedule_now_and_agenda_and_in_the_atom_feed(app, demo, published, fac):
    slug = demo.slug
    bad = fac.post(f"/{slug}/announcements", data={"text": "", "hours": "0"})
    assert bad.status_code == 400
    assert set(errors(bad)) == {"This field is required.", "Show it for 1 hour to 31 days."}
    text = "Day 2: the bazaar moved to the garden."
    assert fac.post(f"/{slug}/announcements", data={"text": text, "hours": "24", "email_everyone": "y"}
                    ).status_code == 302
    anon = app.test_client()
    participant = client_for(app, "participant@example.org")
    for client, path in ((anon, "schedule"), (anon, "now"), (participant, "me/agenda"), (anon, "")):
        assert text in page(client.get(f"/{slug}/{path}")), path
    feed = etree.fromstring(anon.get(f"/{slug}/announcements.atom").get_data())
    entries = feed.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}content") for e in entries] == [text]
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"http://agenda.test/{slug}/announcements.atom"

    # Everyone who wants announcements gets it by e-mail (the demo's accounts; its made-up people
    # have no mailbox), in one message each.
    deliver_pending()
    sent = {m["To"]: m.get_content() for m in outbox(app)}
    assert set(sent) == {"admin@example.org", "facilitator@example.org", "participant@example.org"}
    assert text in sent["participant@example.org"]

    # Taken down: gone from the pages, kept in the feed's history.
    announcement = db.session.scalar(select(Announcement))
    assert fac.post(f"/{slug}/announcements/{announcement.id}/expire").status_code == 302
    assert text not in page(anon.get(f"/{slug}/schedule"))
    assert text in page(anon.get(f"/{slug}/announcements.atom"))


def test_the_atom_feed_is_found_from_every_public_page_and_revalidates(app, demo, published, fac):
    slug = demo.slug
    pid = next(it.proposal.id for it in attendee.items_of(published) if it.proposal.visibility == "public")
    fac.post(f"/{slug}/announcements", data={"text": "Doors open at 8.", "hours": "24"})
    # Posted a minute ago: the next one is later by more than a date's one-second precision.
    doors = db.session.scalar(select(Announcement))
    doors.created_at -= timedelta(minutes=1)
    demo.content_changed_at -= timedelta(minutes=1)
    db.session.commit()
    anon = app.test_client()
    for path in ("", "schedule", f"schedule/sessions/{pid}", "schedule/tables", "now", "harvest", "proposals"):
        found = etree.HTML(anon.get(f"/{slug}/{path}").data).xpath(
            "//head/link[@rel='alternate'][@type='application/atom+xml']/@href")
        assert found == [f"/{slug}/announcements.atom"], path
    first = anon.get(f"/{slug}/announcements.atom")
    feed = etree.fromstring(first.data)
    [entry] = feed.findall(f"{ATOM}entry")
    assert entry.find(f"{ATOM}link").get("href") == f"http://agenda.test/{slug}/schedule"
    assert {"accept-language", "cookie"} <= {v.lower() for v in first.vary} and first.cache_control.public
    etag, date = first.headers["ETag"], first.headers["Last-Modified"]
    assert anon.get(f"/{slug}/announcements.atom", headers={"If-None-Match": etag}).status_code == 304
    assert anon.get(f"/{slug}/announcements.atom", headers={"If-Modified-Since": date}).status_code == 304
    # A new announcement: the reader's copy is stale, by ETag and by date.
    fac.post(f"/{slug}/announcements", data={"text": "Lunch moved to 13:00.", "hours": "24"})
    for validators in ({"If-None-Match": etag}, {"If-Modified-Since": date}):
        fresh = anon.get(f"/{slug}/announcements.atom", headers=validators)
        assert fresh.status_code == 200 and b"Lunch moved to 13:00." in fresh.data


def test_an_announcement_disappears_when_it_expires(app, demo, published, fac):
    fac.post(f"/{demo.slug}/announcements", data={"text": "Lunch is late today.", "hours": "2"})
    participant = client_for(app, "participant@example.org")
    assert "Lunch is late today." in page(participant.get(f"/{demo.slug}/me/agenda"))
    db.session.execute(update(Announcement).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.session.commit()
    assert "Lunch is late today." not in page(participant.get(f"/{demo.slug}/me/agenda"))
    assert "Lunch is late today." in page(fac.get(f"/{demo.slug}/announcements"))  # listed as expired
    assert deliver_pending() == 0  # not e-mailed unless asked


def test_people_who_turned_announcements_off_get_no_mail(app, demo, published, fac):
    db.session.execute(update(User).where(User.email == "participant@example.org").values(
        email_prefs={"announcements": False}))
    db.session.commit()
    fac.post(f"/{demo.slug}/announcements", data={"text": "Buses leave at six.", "hours": "5",
                                                  "email_everyone": "y"})
    deliver_pending()
    assert "participant@example.org" not in {m["To"] for m in outbox(app)}
    assert len(outbox(app)) == 2


# The harvest


@pytest.fixture
def host(app, demo, published):
    """A session of the published schedule, and a client logged in as the person who runs it."""
    item = next(it for it in attendee.items_of(published) if it.proposal.visibility == "public"
                and it.proposal.language == "en")
    proposal = item.proposal
    person = proposal.facilitators[0]
    hashed = db.session.scalar(select(User.password_hash).where(User.email == "participant@example.org"))
    person.email, person.password_hash = "host@example.org", hashed
    db.session.commit()
    return proposal, client_for(app, "host@example.org")


def test_the_people_who_run_a_session_write_its_notes_and_they_reach_the_harvest(app, demo, host):
    proposal, client = host
    slug, pid = demo.slug, proposal.id
    assert "Edit the notes and action items" in page(client.get(f"/{slug}/schedule/sessions/{pid}"))
    participant = client_for(app, "participant@example.org")
    assert "Edit the notes" not in page(participant.get(f"/{slug}/schedule/sessions/{pid}"))
    assert participant.get(f"/{slug}/sessions/{pid}/notes").status_code == 404

    long = client.post(f"/{slug}/sessions/{pid}/notes", data={"summary": "x" * 10001, "links": "https://a.example"})
    assert long.status_code == 400 and "https://a.example" in page(long)  # nothing typed is lost
    client.post(f"/{slug}/sessions/{pid}/notes", data={
        "summary": "We shared three ways to reach rural voters.", "links": " https://example.org/slides \n\n"})
    demo_participant = db.session.scalar(select(User).where(User.email == "participant@example.org"))
    client.post(f"/{slug}/sessions/{pid}/notes/items", data={"text": "Translate the guide", "owner":
                                                            str(demo_participant.id)})
    client.post(f"/{slug}/sessions/{pid}/notes/items", data={"text": "Start a mailing list", "owner": "0",
                                                            "owner_text": "Radio group"})
    empty = client.post(f"/{slug}/sessions/{pid}/notes/items", data={"text": " ", "owner": "0"},
                        follow_redirects=True)
    assert "Write what is to be done, in one line." in page(empty)
    assert db.session.scalar(select(func.count(ActionItem.id))) == 2
    done = db.session.scalar(select(ActionItem).where(ActionItem.text == "Start a mailing list"))
    client.post(f"/{slug}/sessions/{pid}/notes/items/{done.id}", data={"status": "done"})

    # The person who runs it lets a participant edit too.
    client.post(f"/{slug}/sessions/{pid}/notes/editors", data={"email": "participant@example.org"})
    assert participant.get(f"/{slug}/sessions/{pid}/notes").status_code == 200

    anon = app.test_client()
    session_page = page(anon.get(f"/{slug}/schedule/sessions/{pid}"))
    assert "We shared three ways to reach rural voters." in session_page
    assert 'href="https://example.org/slides"' in anon.get(f"/{slug}/schedule/sessions/{pid}").get_data(as_text=True)
    harvest = page(anon.get(f"/{slug}/harvest"))
    assert proposal.title in harvest and "We shared three ways to reach rural voters." in harvest
    still = harvest.split("Still to be done")[1].split("</section>")[0]
    assert "Translate the guide" in still and "Start a mailing list" not in still  # done is not open
    assert "owner: Demo participant" in harvest
    # Filters: another language or another word leaves it out.
    assert proposal.title not in page(anon.get(f"/{slug}/harvest?language=fr"))
    assert proposal.title in page(anon.get(f"/{slug}/harvest?q=rural"))
    assert proposal.title not in page(anon.get(f"/{slug}/harvest?q=zebra"))

    markdown = anon.get(f"/{slug}/harvest.md").get_data(as_text=True)
    assert f"## {proposal.title}" in markdown
    assert "- [ ] Translate the guide (owner: Demo participant) · to do" in markdown
    assert "- [x] Start a mailing list (owner: Radio group) · done" in markdown
    assert "- <https://example.org/slides>" in markdown
    data = json.loads(anon.get(f"/{slug}/harvest.json").get_data())
    [entry] = data["sessions"]
    assert entry["title"] == proposal.title and entry["links"] == ["https://example.org/slides"]
    assert {(i["text"], i["status"]) for i in entry["action_items"]} == {("Translate the guide", "open"),
                                                                         ("Start a mailing list", "done")}


def test_notes_of_a_participants_only_session_stay_with_participants(app, demo, published, fac):
    secret = next(it.proposal for it in attendee.items_of(published) if it.proposal.visibility == "participants")
    slug = demo.slug
    fac.post(f"/{slug}/sessions/{secret.id}/notes", data={"summary": "Names of the safe houses.", "links": ""})
    fac.post(f"/{slug}/sessions/{secret.id}/notes/items", data={"text": "Move the files", "owner": "0"})
    anon = app.test_client()
    for path in ("harvest", "harvest.md", "harvest.json", f"schedule/sessions/{secret.id}"):
        shown = page(anon.get(f"/{slug}/{path}"))
        assert "safe houses" not in shown and "Move the files" not in shown and secret.title not in shown, path
    participant = client_for(app, "participant@example.org")
    assert "Names of the safe houses." in page(participant.get(f"/{slug}/harvest"))
    assert "Move the files" in participant.get(f"/{slug}/harvest.md").get_data(as_text=True)


# Data after the event


def test_after_the_retention_date_personal_data_goes_and_the_counts_schedule_and_harvest_stay(
        app, demo, published, fac, runner):
    slug = demo.slug
    participant = db.session.scalar(select(User).where(User.email == "participant@example.org"))
    token = attendee.make_calendar_token(participant, demo)
    some = published.assignments[0]
    fac.post(f"/{slug}/sessions/{some.proposal_id}/notes", data={"summary": "What we learnt.", "links": ""})
    votes_before = dict(db.session.execute(select(Vote.proposal_id, func.count()).group_by(Vote.proposal_id)).all())
    assert db.session.scalar(select(func.count(CalendarToken.user_id))) == 1

    # Not due yet: nothing happens.
    demo_id = demo.id
    db.session.execute(update(Event).where(Event.id == demo_id).values(retention_date=date.today()))
    db.session.commit()
    assert "no event is past its retention date" in runner.invoke(args=["agenda", "purge"]).output
    assert db.session.scalar(select(func.count()).select_from(Vote)) == sum(votes_before.values())

    db.session.execute(update(Event).where(Event.id == demo_id).values(retention_date=date.today() - timedelta(days=1)))
    db.session.commit()
    result = runner.invoke(args=["agenda", "purge"])
    assert f"{slug}: retention date passed" in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(Vote)) == 0
    assert db.session.scalar(select(func.count()).select_from(AgendaChoice)) == 0
    assert db.session.scalar(select(func.count()).select_from(CalendarToken)) == 0
    anon = app.test_client()
    assert anon.get(f"/{slug}/agenda/{token}.ics").status_code == 404
    # What stays: the published schedule, the notes, and how many wanted each session.
    assert db.session.get(ScheduleVersion, published.id).status == "published"
    assert some.proposal.title in page(anon.get(f"/{slug}/schedule"))
    assert "What we learnt." in page(anon.get(f"/{slug}/harvest"))
    assert db.session.scalar(select(func.count()).select_from(SessionNotes)) == 1
    from agenda.services.proposals import vote_counts

    assert vote_counts(db.session.get(Event, demo_id)) == votes_before
    event = db.session.get(Event, demo_id)
    assert not event.voting_open and not event.proposals_open
    # Running it again changes nothing.
    assert "no event is past its retention date" in runner.invoke(args=["agenda", "purge"]).output


def test_the_retention_date_cannot_come_before_the_last_day(demo, fac):
    form = {"name": demo.name, "timezone": demo.timezone, "first_day": "2017-11-07", "last_day": "2017-11-09",
            "languages": "en, es, fr", "formats": "skillshare", "default_locale": "en",
            "retention_date": "2017-11-08"}
    bad = fac.post(f"/{demo.slug}/manage/", data=form)
    assert errors(bad) == ["Personal data is kept at least until the last day of the event."]
    assert fac.post(f"/{demo.slug}/manage/", data={**form, "retention_date": "2018-01-31"}).status_code == 302
    assert db.session.get(Event, demo.id).retention_date == date(2018, 1, 31)


def test_people_download_their_own_data_and_nobody_elses(app, demo, published):
    client = client_for(app, "participant@example.org")
    response = client.get("/account/data.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data())
    me = db.session.scalar(select(User).where(User.email == "participant@example.org"))
    assert data["account"]["email"] == "participant@example.org"
    voted = set(db.session.scalars(select(Proposal.title).join(Vote).where(Vote.user_id == me.id)))
    assert {v["title"] for v in data["sessions_you_want_to_attend"]} == voted
    assert "facilitator@example.org" not in response.get_data(as_text=True)
    assert app.test_client().get("/account/data.json").status_code == 302  # to the login page
    profile = page(client.get("/account"))
    assert "/account/data.json" in profile


def test_deleting_an_account_says_what_remains(app, demo, published):
    client = client_for(app, "participant@example.org")
    shown = page(client.get("/account/delete"))
    assert "What remains" in shown


# Names


def test_display_names_are_unique_within_an_event(app, demo):
    taken = db.session.scalar(select(User.display_name).where(User.email == "facilitator@example.org"))
    response = app.test_client().post("/register", data={
        "email": "new@example.org", "display_name": taken.upper(), "password": DEMO_PASSWORD + "x",
        "confirm": DEMO_PASSWORD + "x", "event": demo.slug})
    assert errors(response) == ["Someone in this event already uses this name: choose another one."]
    client = client_for(app, "participant@example.org")
    renamed = client.post("/account", data={"display_name": taken, "languages": ["en"]})
    assert errors(renamed) == [f"Someone in {demo.name} already uses this name: choose another one."]
    assert db.session.scalar(select(User.display_name).where(User.email == "participant@example.org")) != taken


def test_deleting_an_action_item_asks_first(app, demo, host):
    proposal, client = host
    base = f"/{demo.slug}/sessions/{proposal.id}/notes"
    client.post(f"{base}/items", data={"text": "Book the hall", "owner": "0"})
    item = db.session.scalar(select(ActionItem))
    asked = client.post(f"{base}/items/{item.id}", data={"delete": "1"})
    assert asked.status_code == 200 and "Delete the action item 'Book the hall'?" in page(asked)
    assert db.session.scalar(select(func.count(ActionItem.id))) == 1
    client.post(f"{base}/items/{item.id}", data={"delete": "1", "confirmed": "1"})
    assert db.session.scalar(select(func.count(ActionItem.id))) == 0


def test_a_declined_session_leaves_the_public_harvest(app, demo, host, fac):
    proposal, client = host
    slug, pid, title = demo.slug, proposal.id, proposal.title
    client.post(f"/{slug}/sessions/{pid}/notes", data={"summary": "Our secret plan.", "links": "https://x.example"})
    client.post(f"/{slug}/sessions/{pid}/notes/items", data={"text": "Call the mayor", "owner": "0"})
    anon = app.test_client()
    assert "Our secret plan." in page(anon.get(f"/{slug}/harvest"))  # shown while on offer
    assert fac.post(f"/{slug}/proposals/{pid}/review/declined").status_code == 302
    participant = client_for(app, "participant@example.org")
    for who in (anon, participant):
        for path in ("harvest", "harvest.md", "harvest.json"):
            shown = page(who.get(f"/{slug}/{path}"))
            assert title not in shown and "Our secret plan." not in shown and "Call the mayor" not in shown, path
            assert "x.example" not in shown, path


NOTES_PAYLOAD = """# A fake session heading
<script>alert(1)</script>
<img src=x onerror=alert(2)>
<iframe src="https://evil.example"></iframe>
[click me](javascript:alert(3)) ![x](javascript:alert(4)) <javascript:alert(5)>
&lt;b&gt;not bold&lt;/b&gt; **not strong** `not code`

    not a code block
1. not a list
> not a quote
Not a heading either
===
- not an item
---"""


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.hrefs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs += [value for name, value in attrs if name == "href"]

    def handle_data(self, data):
        self.text.append(data)


def test_the_harvest_markdown_renders_what_people_wrote_as_text(app, demo, host):
    proposal, client = host
    slug, pid = demo.slug, proposal.id
    proposal.title = "<b>Radio</b> ## & <img src=x onerror=alert(6)>"
    db.session.commit()
    client.post(f"/{slug}/sessions/{pid}/notes", data={"summary": NOTES_PAYLOAD, "links": "https://ok.example/a"})
    client.post(f"/{slug}/sessions/{pid}/notes/items", data={"text": "<script>alert(7)</script> # [x](javascript:y)",
                                                            "owner": "0", "owner_text": "<iframe>"})
    # Links stored before links were checked: only web and mail addresses become links.
    db.session.execute(update(SessionNotes).values(
        links="javascript:alert(8)\nhttps://ok.example/a\nmailto:team@example.org\ndata:text/html,<script>"))
    db.session.commit()
    markdown = app.test_client().get(f"/{slug}/harvest.md").get_data(as_text=True)
    rendered = _Tags()
    rendered.feed(MarkdownIt("commonmark").render(markdown))
    # Only the document's own structure: one title, one heading per session, its paragraphs, lists and links.
    assert rendered.tags.count("h1") == 1 and rendered.tags.count("h2") == 1
    assert set(rendered.tags) <= {"h1", "h2", "p", "strong", "ul", "li", "a"}, rendered.tags
    assert rendered.tags.count("ul") == 2  # links and action items, nothing from the notes
    assert sorted(rendered.hrefs) == ["https://ok.example/a", "mailto:team@example.org"]
    text = "".join(rendered.text)
    for shown in ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "# A fake session heading",
                  "[click me](javascript:alert(3))", "&lt;b&gt;not bold", "**not strong**", "1. not a list",
                  "> not a quote", "- not an item", "<b>Radio</b> ## & <img src=x onerror=alert(6)>",
                  "<script>alert(7)</script> # [x](javascript:y)", "owner: <iframe>", "javascript:alert(8)"):
        assert shown in text, shown  # nothing anyone wrote is lost
    data = json.loads(app.test_client().get(f"/{slug}/harvest.json").get_data())
    assert data["sessions"][0]["links"] == ["https://ok.example/a", "mailto:team@example.org"]
    session_page = app.test_client().get(f"/{slug}/schedule/sessions/{pid}").get_data(as_text=True)
    assert 'href="javascript' not in session_page and 'href="mailto:team@example.org"' in session_page


def test_notes_take_only_web_and_mail_links(app, demo, host):
    proposal, client = host
    url = f"/{demo.slug}/sessions/{proposal.id}/notes"
    refused = client.post(url, data={"summary": "Kept.", "links": "https://ok.example\njavascript:alert(1)"})
    assert refused.status_code == 400 and "Kept." in page(refused)
    assert errors(refused) == ["Give each link on a line of its own, starting with https://, http:// or mailto:."]
    assert db.session.get(SessionNotes, proposal.id) is None
    assert client.post(url, data={"summary": "Kept.", "links": "mailto:a@example.org\nHTTPS://ok.example"}
                       ).status_code == 302
