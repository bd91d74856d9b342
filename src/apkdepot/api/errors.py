"""Turns any exception into the envelope of the API the request was for:
the web-service envelope under ``/webservices/``, the JSON API envelope
elsewhere. No request ever sees a bare framework error page."""

from __future__ import annotations

import logging

from litestar import Request, Response
from litestar.exceptions import HTTPException

from apkdepot import errors
from apkdepot.api.json.common import failure_response
from apkdepot.api.ws.dispatch import payload_for_problems
from apkdepot.api.ws.render import render
from apkdepot.errors import ErrorSpec, Failure, problem
from apkdepot.i18n import negotiate

log = logging.getLogger("apkdepot.errors")

_STATUS_SPECS: dict[int, ErrorSpec] = {
    404: errors.NOT_FOUND,
    405: errors.METHOD_NOT_ALLOWED,
    413: errors.BODY_TOO_LARGE,
    429: errors.TOO_MANY_REQUESTS,
}


def _locale(request: Request) -> str:
    chosen = getattr(request.state, "locale", None)
    if chosen:
        return chosen
    return negotiate(request.query_params.get("lang"), request.headers.get("accept-language"))


# Where machines read answers; everything else is a page people open in a browser.
MACHINE_PREFIXES = ("/api/", "/webservices/", "/repo/", "/fdroid/", "/schema", "/healthz", "/metrics", "/static/")
PEOPLE_UNDER_MACHINES = ("/webservices/docs",)


def for_people(path: str) -> bool:
    return path.startswith(PEOPLE_UNDER_MACHINES) or not path.startswith(MACHINE_PREFIXES)


def _page(request: Request, failure: Failure) -> Response:
    """A page, not JSON, for a person who reached a missing page or opened a form's address."""
    from apkdepot.i18n import gettext
    from apkdepot.portal.web import locale_of, render

    locale = locale_of(request)
    parent = request.url.path.rstrip("/").rpartition("/")[0] or "/"
    if failure.http_status == 405:
        heading = gettext(locale, "This address takes a form; it cannot be opened on its own.")
        text = gettext(locale, "Use the form on the page before it.")
    else:
        heading = gettext(locale, "Not found")
        text = gettext(locale, "The page you asked for is not here.")
    return render(request, "message.html", failure.http_status, heading=heading, text=text, link=parent,
                  link_text=gettext(locale, "Go to {page}").format(page=parent))


def _render(request: Request, failure: Failure) -> Response:
    path = request.url.path
    if failure.http_status in (404, 405) and for_people(path):
        return _page(request, failure)
    if path.startswith("/webservices/"):
        parts = [p for p in path.split("/") if p]
        generation = int(parts[1]) if len(parts) > 1 and parts[1] in ("2", "3") else 1
        fmt = "xml" if parts and parts[-1].lower() == "xml" else "json"
        body, content_type = render(payload_for_problems(failure.problems, generation, _locale(request)), fmt)
        status = failure.http_status if failure.http_status in (404, 405, 413, 429) or failure.http_status >= 500 else 200
        return Response(body, status_code=status, media_type=content_type, headers=failure.headers)
    return failure_response(failure, _locale(request))


def failure_handler(request: Request, exc: Failure) -> Response:
    return _render(request, exc)


def http_exception_handler(request: Request, exc: HTTPException) -> Response:
    spec = _STATUS_SPECS.get(exc.status_code)
    if spec is None:
        spec = errors.SERVER_ERROR if exc.status_code >= 500 else errors.MALFORMED_BODY
    return _render(request, Failure(problem(spec), exc.status_code, headers=dict(exc.headers or {})))


def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"route": request.scope.get("path_template") or "unmatched"})
    return _render(request, Failure(problem(errors.SERVER_ERROR), 500))
