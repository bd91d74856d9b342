"""Web-service endpoint definitions: the one source the dispatcher routes by
and the documentation is generated from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from apkdepot.errors import ErrorSpec
from apkdepot.i18n import N_

if TYPE_CHECKING:
    from apkdepot.api.ws.dispatch import WsCall

DEFAULT_MAX_LENGTH = 1000


@dataclass(frozen=True)
class WsParam:
    name: str
    description: str  # English message id, for the documentation
    missing: ErrorSpec | None = None  # set: the parameter is required
    max_length: int = DEFAULT_MAX_LENGTH


@dataclass(frozen=True)
class WsField:
    name: str
    description: str


@dataclass(frozen=True)
class WsEndpoint:
    name: str
    title: str
    description: str
    handler: Callable[["WsCall"], dict[str, Any]]
    params: tuple[WsParam, ...] = ()
    path_params: tuple[str, ...] = ()  # GET path style: /webservices/<name>/<p1>/<p2>/<fmt>
    generations: frozenset[int] = frozenset({1, 2, 3})
    methods: frozenset[str] = frozenset({"GET", "POST"})
    requires_token: bool = True
    # A read of public stores: with APKDEPOT_ANONYMOUS_READS it needs no token
    # (private stores still do; a token given is still checked).
    public_read: bool = False
    response_fields: tuple[WsField, ...] = ()
    error_codes: tuple[str, ...] = ()
    deprecated_by: str | None = None
    accepts_files: bool = False
    # Served on the event loop instead of a worker thread: for handlers that
    # answer from memory and never block.
    in_loop: bool = False
    # Argument checks that do not need the caller's identity: run even when the
    # token is missing or wrong, so every problem is reported at once.
    validator: Callable[["WsCall"], list] | None = None
    # The documentation's sample request: parameters, with $placeholders the
    # docs resolve against the demo store ($demo, $token, $first_hash, …).
    example: dict[str, str] = field(default_factory=dict)
    example_method: str = "GET"
    # Further sample requests the documentation shows: (what the case is, parameters).
    more_examples: tuple[tuple[str, dict[str, str]], ...] = ()
    # An OAuth 2 token endpoint: its failures are HTTP errors with error/error_description.
    oauth: bool = False


REGISTRY: dict[str, WsEndpoint] = {}


def register(endpoint: WsEndpoint) -> WsEndpoint:
    if endpoint.name in REGISTRY:
        raise ValueError(f"web service {endpoint.name} registered twice")
    REGISTRY[endpoint.name] = endpoint
    return endpoint


def webservice(**spec: Any) -> Callable[[Callable[["WsCall"], dict[str, Any]]], Callable[["WsCall"], dict[str, Any]]]:
    def decorate(fn: Callable[["WsCall"], dict[str, Any]]) -> Callable[["WsCall"], dict[str, Any]]:
        register(WsEndpoint(handler=fn, **spec))
        return fn

    return decorate


TOKEN_PARAM = WsParam("token", N_("Developer token (or an OAuth access_token from oauth2Authentication, or either as an 'Authorization: Bearer' header)"))
MODE_PARAM = WsParam("mode", N_("Return mode/format ('xml' or 'json')"))
