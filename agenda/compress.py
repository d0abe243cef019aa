"""gzip for slow connections: anonymous pages, feeds and the stylesheet.

Responses that carry a CSRF token are left alone: compressing a secret next to
text an attacker can inject would let them guess it byte by byte (BREACH).
"""

import gzip

from flask import Flask, request

COMPRESSIBLE = ("text/", "application/json", "application/xml")


def compress(response):
    if (response.status_code != 200 or "gzip" not in request.headers.get("Accept-Encoding", "")
            or "Content-Encoding" in response.headers
            or not response.mimetype.startswith(COMPRESSIBLE)):
        return response
    response.direct_passthrough = False  # static files: read the (small) file to compress it
    data = response.get_data()
    if len(data) < 512 or b'name="csrf_token"' in data:
        return response
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    etag, _weak = response.get_etag()
    if etag:  # the same resource in another encoding: a weak validator still answers 304s
        response.set_etag(etag, weak=True)
    return response


def init_app(app: Flask) -> None:
    app.after_request(compress)
