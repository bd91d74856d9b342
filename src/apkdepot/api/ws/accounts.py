"""Account web services: log in for the dev token, regenerate it."""

from __future__ import annotations

from typing import Any

from apkdepot import errors
from apkdepot.accounts import services as accounts
from apkdepot.api.ws.dispatch import WsCall
from apkdepot.api.ws.registry import MODE_PARAM, TOKEN_PARAM, WsField, WsParam, webservice
from apkdepot.i18n import N_


@webservice(
    name="checkUserCredentials",
    title=N_("Checking user credentials"),
    description=N_("Given a user's email and the SHA-1 hex of the password, returns the developer token. "
                   "Only POST is accepted, so credentials never travel in a URL."),
    methods=frozenset({"POST"}),
    generations=frozenset({1, 2, 3}),
    requires_token=False,
    params=(
        WsParam("user", N_("User email"), missing=errors.MISSING_USER, max_length=254),
        WsParam("passhash", N_("SHA-1 hex of the user's password"), missing=errors.MISSING_PASSHASH, max_length=40),
        MODE_PARAM,
    ),
    response_fields=(
        WsField("status", N_("Request result status (OK or FAIL)")),
        WsField("errors", N_("Errors log from the request (not existent when status=\"OK\")")),
        WsField("token", N_("The developer token")),
        WsField("username", N_("The developer's name")),
        WsField("repo", N_("The developer's first store, when there is one")),
        WsField("avatar", N_("The address of that store's avatar, when it has one")),
    ),
    error_codes=("MARG-201", "MARG-202", "AUTH-1", "AUTH-2", "RATE-1"),
    example={"user": "$demo_email", "passhash": "$demo_passhash"},
    example_method="POST",
)
def check_user_credentials(call: WsCall) -> dict[str, Any]:
    developer = accounts.authenticate(call.svc, call.get("user"), call.get("passhash").lower(), call.client_ip)
    store = accounts.primary_store(call.svc, developer.id)
    return {
        "token": accounts.dev_token(call.svc, developer),
        "username": developer.name,
        # Always present: the 4.x client fails the log-in when the key is missing.
        "repo": store[0] if store else "",
        "avatar": f"{call.base_url}/repo/{store[0]}/avatar" if store and store[1] else None,
    }


@webservice(
    name="regenerateToken",
    title=N_("Regenerating the developer token"),
    description=N_("Replaces the developer token with a new one. The old token stops working at once."),
    methods=frozenset({"POST"}),
    params=(TOKEN_PARAM, MODE_PARAM),
    response_fields=(
        WsField("status", N_("Request result status (OK or FAIL)")),
        WsField("errors", N_("Errors log from the request (not existent when status=\"OK\")")),
        WsField("token", N_("The new developer token")),
    ),
    error_codes=("MARG-200", "IARG-2"),
    example={},  # a real call would replace the demo token: the sample shows the answer without one
    example_method="POST",
)
def regenerate_token(call: WsCall) -> dict[str, Any]:
    assert call.developer is not None
    token = accounts.regenerate_token(call.svc, call.developer.id)
    if call.runtime is not None:
        call.runtime.cache.invalidate()
    return {"token": token}
