"""The first view of the schedule on a simulated 2G link (part of `python -m agenda.bench`).

Chromium's own network emulation (DevTools `Network.emulateNetworkConditions`: 250 kbit/s
both ways, 300 ms latency), an empty cache, the app served by a real HTTP server in this
process: the time until the page has loaded (HTML, stylesheet, scripts), as a phone sees it.
"""

from __future__ import annotations

import shutil
import threading

from flask import Flask

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LINK = {"offline": False, "latency": 300, "downloadThroughput": 250_000 / 8, "uploadThroughput": 250_000 / 8}


def first_view(app: Flask, path: str, runs: int = 3) -> tuple[float, float] | str:
    """(median seconds to the load event with an empty cache, with the copies kept), or why not."""
    import os

    if not os.path.exists(CHROMIUM):
        return "no chromium"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "no playwright"
    import logging

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise here
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}{path}"
    first, again = [], []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"])
            for _ in range(runs):
                context = browser.new_context(viewport={"width": 360, "height": 740})
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                cdp.send("Network.emulateNetworkConditions", LINK)
                for times in (first, again):
                    page.goto(url, wait_until="load")
                    times.append(page.evaluate(
                        "performance.getEntriesByType('navigation')[0].loadEventEnd") / 1000)
                context.close()
            browser.close()
    finally:
        server.shutdown()
    return sorted(first)[len(first) // 2], sorted(again)[len(again) // 2]
