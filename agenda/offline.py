"""The installable, offline-capable site: the web app manifest and the service worker.

Both are served from the site's root so that the worker's scope covers every page; the
worker itself is a plain static file (static/sw.js), no build step, no third-party code.
"""

import json

from flask import Blueprint, Response, current_app, url_for
from flask_babel import gettext as _

from .permissions import permission

bp = Blueprint("offline", __name__)

THEME = "#0b5cad"  # the favicon's and the links' blue


@bp.get("/manifest.webmanifest")
@permission("account.anonymous")
def manifest():
    icons = [{"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}",
              "type": "image/png", "purpose": purpose}
             for purpose in ("any", "maskable") for size in (192, 512)]
    body = {"name": "agenda", "short_name": "agenda", "id": "/", "start_url": "/", "scope": "/",
            "display": "standalone", "theme_color": THEME, "background_color": "#ffffff",
            "description": _("The schedule, your agenda and the proposals, also when the network is gone."),
            "icons": icons}
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.cache_control.max_age = 3600
    response.vary.add("Accept-Language")  # the description is in the reader's language
    return response


@bp.get("/sw.js")
@permission("account.anonymous")
def service_worker():
    """The service worker at the root (its scope is the whole site), always checked for updates."""
    response = current_app.send_static_file("sw.js")
    response.mimetype = "text/javascript"
    response.cache_control.no_cache = True
    response.cache_control.max_age = 0
    return response
