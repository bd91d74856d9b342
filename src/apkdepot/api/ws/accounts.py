"""Account web services: log in for the dev token, regenerate it; the apps'
OAuth 2 log-in (oauth2Authentication) and who is logged in (getUserInfo)."""

from __future__ import annotations

from typing import Any

from apkdepot import errors
from apkdepot.errors import Failure, problem
from apkdepot.accounts import oauth
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
    error_codes=("MARG-201", "MARG-202", "AUTH-1", "AUTH-2", "AUTH-10", "AUTH-13", "RATE-1"),
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
        call.runtime.cache.refresh(wait=True)  # here, in the handler's thread, not on the next read's loop
    return {"token": token}


@webservice(
    name="oauth2Authentication",
    title=N_("Logging in with OAuth 2"),
    description=N_("The log-in of the Aptoide Uploader and the 6.x apps. grant_type=password with username (the "
                   "account's email) and password gives an access_token and a refresh_token; "
                   "grant_type=refresh_token with refresh_token gives a new access_token. Access tokens work "
                   "wherever the developer token does (as token, access_token or a Bearer header). Failures are "
                   "HTTP errors (400, or 401 for a bad access token) with error and error_description."),
    methods=frozenset({"POST"}),
    generations=frozenset({3}),
    requires_token=False,
    oauth=True,
    params=(
        WsParam("grant_type", N_("password or refresh_token"), max_length=32),
        WsParam("username", N_("The account's email (grant_type=password)"), max_length=254),
        WsParam("password", N_("The account's password (grant_type=password)"), max_length=200),
        WsParam("refresh_token", N_("A refresh token (grant_type=refresh_token)"), max_length=200),
        WsParam("client_id", N_("The client's name (the apps send Aptoide); not checked"), max_length=100),
        MODE_PARAM,
    ),
    response_fields=(
        WsField("status", N_("Request result status (OK or FAIL)")),
        WsField("access_token", N_("The access token")),
        WsField("refresh_token", N_("The refresh token (unchanged by a refresh)")),
        WsField("token_type", N_("Bearer")),
        WsField("expires_in", N_("Seconds the access token stays valid")),
        WsField("error", N_("On failure: invalid_grant, unsupported_grant_type or slow_down")),
        WsField("error_description", N_("On failure: what went wrong, in English")),
    ),
    error_codes=("AUTH-5", "AUTH-6", "AUTH-7", "AUTH-2", "AUTH-10", "AUTH-13", "RATE-1"),
    example={"grant_type": "password", "username": "$demo_email", "password": "$demo_password", "client_id": "Aptoide",
             "mode": "json"},
    example_method="POST",
)
def oauth2_authentication(call: WsCall) -> dict[str, Any]:
    grant_type = call.get("grant_type")
    if grant_type == "password":
        grant = oauth.password_grant(call.svc, call.get("username"), call.params.get("password", ""), call.client_ip)
    elif grant_type == "refresh_token":
        grant = oauth.refresh_grant(call.svc, call.get("refresh_token"))
    else:
        raise Failure(problem(errors.OAUTH_BAD_GRANT_TYPE))
    return {"access_token": grant.access_token, "refresh_token": grant.refresh_token, "token_type": "Bearer",
            "expires_in": grant.expires_in}


@webservice(
    name="getUserInfo",
    title=N_("Who is logged in"),
    description=N_("The account an access token (or developer token) belongs to, as the Uploader reads it after "
                   "logging in. repo is left out when the developer has no store yet."),
    methods=frozenset({"POST"}),
    generations=frozenset({3}),
    params=(TOKEN_PARAM, WsParam("access_token", N_("An access token from oauth2Authentication")), MODE_PARAM),
    response_fields=(
        WsField("status", N_("Request result status (OK or FAIL)")),
        WsField("username", N_("The developer's name")),
        WsField("email", N_("The developer's email")),
        WsField("repo", N_("The developer's first store, when there is one")),
        WsField("avatar", N_("The address of that store's avatar, when it has one")),
    ),
    error_codes=("MARG-200", "IARG-2", "AUTH-8", "AUTH-9"),
    example={"token": "$token", "mode": "json"},
    example_method="POST",
)
def get_user_info(call: WsCall) -> dict[str, Any]:
    assert call.developer is not None
    store = accounts.primary_store(call.svc, call.developer.id)
    return {
        "username": call.developer.name, "email": call.developer.email,
        # Absent, not empty, without a store: the Uploader then offers to create one (getRepo() == null).
        "repo": store[0] if store else None,
        "avatar": f"{call.base_url}/repo/{store[0]}/avatar" if store and store[1] else None,
    }
