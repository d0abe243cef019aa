"""`python -m agenda.bench`: how much each attendee page weighs on the demo event (HTML + CSS, gzip)."""

import os
import re
import sys
import tempfile
import time

LIMIT = 30 * 1024


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["AGENDA_INSTANCE_PATH"] = tmp
        from flask_migrate import upgrade

        from . import create_app
        from .demo import load_demo
        from .extensions import db
        from .services import schedule as svc

        app = create_app({"SESSION_COOKIE_SECURE": False})
        password = "bench password 1"  # noqa: S105 (a throwaway benchmark instance)
        with app.app_context():
            upgrade()
            event = load_demo(password)
            started = time.monotonic()
            run = svc.start_run(event, 20)
            svc.claim_next_run()
            version = svc.execute_run(run.id).version
            solve_seconds = time.monotonic() - started
            svc.publish_version(version)
            some = version.assignments[0].proposal_id
            figures = version.figures
            db.session.remove()
        client = app.test_client()
        gz = {"Accept-Encoding": "gzip"}
        css = len(client.get("/static/style.css", headers=gz).data)
        # Every page loads static/offline.js; the proposals pages votes.js as well.
        script = len(client.get("/static/offline.js", headers=gz).data)
        votes_js = len(client.get("/static/votes.js", headers=gz).data)
        pages = [("schedule (list)", "/campaigncon-2017/schedule"),
                 ("schedule (grid)", "/campaigncon-2017/schedule?view=grid"),
                 ("now and next", "/campaigncon-2017/now?at=2017-11-08T11:30"),
                 ("session page", f"/campaigncon-2017/schedule/sessions/{some}"),
                 ("event home", "/campaigncon-2017/"),
                 ("proposals", "/campaigncon-2017/proposals"),
                 ("harvest", "/campaigncon-2017/harvest")]
        rows = [(name, len(client.get(path, headers=gz).data)) for name, path in pages]
        from .netbench import first_view

        on_2g = first_view(app, "/campaigncon-2017/schedule")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          client.get("/login").get_data(as_text=True)).group(1)
        client.post("/login", data={"email": "participant@example.org", "password": password,
                                    "csrf_token": token})
        rows += [("my agenda (logged in)", len(client.get("/campaigncon-2017/me/agenda", headers=gz).data)),
                 ("proposals (logged in)", len(client.get("/campaigncon-2017/proposals", headers=gz).data)),
                 ("my agenda, plain text", len(client.get("/campaigncon-2017/me/agenda.txt", headers=gz).data)),
                 ("my agenda, SMS size", len(client.get("/campaigncon-2017/me/agenda.txt?short=1", headers=gz).data))]
    print(f"Demo event solved from the app in {solve_seconds:.1f} s: "
          f"{figures.get('unscheduled')} unscheduled, attendable votes "
          f"{figures.get('attendable_votes')}/{figures.get('total_votes')}.")
    print()
    print("| attendee page | HTML bytes sent | + CSS | + scripts | total | under 30 KB |")
    print("|---|---|---|---|---|---|")
    ok = True
    for name, size in rows:
        text = "text" in name or "SMS" in name
        js = 0 if text else script + (votes_js if name.startswith("proposals") else 0)
        style = 0 if text else css
        total = size + style + js
        ok &= total < LIMIT
        print(f"| {name} | {size} | {style} | {js} | {total} | {'yes' if total < LIMIT else 'NO'} |")
    print()
    if isinstance(on_2g, str):
        print(f"Schedule on 2G (250 kbit/s, 300 ms): not measured ({on_2g}).")
    else:
        print(f"Schedule (list) on 2G (250 kbit/s, 300 ms latency, Chromium's emulation), median of 3: "
              f"first view {on_2g[0]:.2f} s to the load event, again (copies kept) {on_2g[1]:.2f} s.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
