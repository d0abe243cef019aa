"""Public pages kept in memory are served to visitors without cookies before Flask's request
machinery (agenda/cache.py fast_hits): same bytes, right language, and fresh after publishing."""

from flask import request

from .conftest import publish_new


def _count_app_requests(app):
    calls = []
    app.before_request_funcs.setdefault(None, []).append(lambda: calls.append(request.path))
    return calls


def test_a_kept_feed_is_served_without_the_app_and_publishing_shows_at_once(app, client, demo):
    calls = _count_app_requests(app)
    url = f"/{demo.slug}/schedule.json"
    first = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and len(calls) == 1
    again = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert again.status_code == 200 and again.data == first.data
    assert again.headers["Content-Encoding"] == "gzip" and "Content-Security-Policy" in again.headers
    assert len(calls) == 1  # served from memory, before the app
    # A conditional request gets its 304 from the kept response too.
    assert client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]}
                      ).status_code == 304
    before = client.get(url).get_json()["schedule"]["version"]
    publish_new(demo)
    after = client.get(url).get_json()["schedule"]["version"]
    assert after != before  # the new version at once, not the kept one


def test_a_kept_page_is_never_served_in_the_wrong_language(app, client, demo):
    calls = _count_app_requests(app)
    url = f"/{demo.slug}/schedule"
    for _ in range(2):
        spanish = client.get(url, headers={"Accept-Language": "es"}).get_data(as_text=True)
        french = client.get(url, headers={"Accept-Language": "fr"}).get_data(as_text=True)
        english = client.get(url + "?lang=en", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="es"' in spanish and '<html lang="fr"' in french and '<html lang="en"' in english
    assert len(calls) == 3  # the second round came from memory


def test_a_visitor_with_a_cookie_goes_through_the_app(app, client, demo):
    calls = _count_app_requests(app)
    url = f"/{demo.slug}/schedule"
    client.get(url)
    client.set_cookie("lang", "fr")
    page = client.get(url).get_data(as_text=True)
    assert '<html lang="fr"' in page
    assert len(calls) == 2  # their choice (or their login) is the app's to read


def test_on_postgresql_too_a_kept_feed_is_fresh_after_publishing(tmp_path, monkeypatch, postgres_database):
    from agenda import create_app
    from agenda.demo import load_demo
    from agenda.extensions import db

    from .conftest import DEMO_PASSWORD, LIGHT_SOLVER, FreshContextClient

    monkeypatch.setenv("AGENDA_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": postgres_database, "BASE_URL": "http://agenda.test",
                      "SOLVER_WORK_PER_SECOND": LIGHT_SOLVER})
    app.test_client_class = FreshContextClient
    with app.app_context():
        db.create_all()
        demo = load_demo(DEMO_PASSWORD)
        client = app.test_client()
        calls = _count_app_requests(app)
        url = f"/{demo.slug}/schedule.json"
        before = client.get(url).get_json()["schedule"]["version"]
        assert client.get(url).get_json()["schedule"]["version"] == before and len(calls) == 1
        publish_new(demo)
        assert client.get(url).get_json()["schedule"]["version"] != before
        db.session.remove()
        db.engine.dispose()
