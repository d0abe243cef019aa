"""The installable, offline-capable site: the web app manifest and the service worker.

Both are served from the site's root so that the worker's scope covers every page; the
worker itself is a plain static file (static/sw.js), no build step, no third-party code.
"""

import hmac
import json
from pathlib import Path

from flask import Blueprint, Response, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .permissions import permission

bp = Blueprint("offline", __name__)

THEME = "#0b5cad"  # the favicon's and the links' blue


@bp.app_context_processor
def viewer_mark() -> dict:
    """Who the page was made for, as a mark that names nobody: the service worker's copies are
    one person's, and static/offline.js forgets them when another person (or nobody) is logged in."""
    if not current_user or not current_user.is_authenticated:
        return {"viewer_mark": ""}
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return {"viewer_mark": hmac.new(key, f"viewer:{current_user.id}".encode(), "sha256").hexdigest()[:16]}


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
    body = (Path(current_app.static_folder) / "sw.js").read_bytes()
    response = Response(body, mimetype="text/javascript")
    response.cache_control.no_cache = True
    response.cache_control.max_age = 0
    response.add_etag()
    return response.make_conditional(request)
