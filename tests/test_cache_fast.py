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
