"""uploadAppToRepo: publish an APK into a store (PROTOCOL §4), with the
MD5-first de-duplication: send ``apk_md5sum`` alone first; APK-5 means the
server does not hold that file for you, so send it."""

from __future__ import annotations

from typing import Any

from apkdepot import errors
from apkdepot.api.ws.dispatch import WsCall
from apkdepot.api.ws.registry import MODE_PARAM, TOKEN_PARAM, WsField, WsParam, webservice
from apkdepot.catalog import categories, publishing, queries
from apkdepot.catalog.models import apk_url
from apkdepot.errors import Failure, problem
from apkdepot.i18n import N_

META_FIELDS = ("description", "category", "apk_website", "apk_email")


@webservice(
    name="uploadAppToRepo",
    title=N_("Uploading an APK to a repository"),
    description=N_("Publishes an APK into one of your stores. Send the file as the multipart field 'apk', or first "
                   "send only 'apk_md5sum': when the server already holds that file for you it is published without "
                   "a new upload, and APK-5 asks you to send the file."),
    methods=frozenset({"POST"}),
    generations=frozenset({2, 3}),
    accepts_files=True,
    params=(
        TOKEN_PARAM,
        WsParam("repo", N_("Repository (store) name"), missing=errors.MISSING_REPO, max_length=100),
        WsParam("apk", N_("The APK file (multipart/form-data)")),
        WsParam("apk_md5sum", N_("MD5 of the APK, to publish a file the server already holds"), max_length=64),
        WsParam("description", N_("Application description"), max_length=4000),
        WsParam("category", N_("Application category: a name, or a number from listCategories (as the Uploader sends it)"),
                max_length=100),
        WsParam("apk_website", N_("Application website"), max_length=500),
        WsParam("apk_email", N_("Contact email"), max_length=254),
        WsParam("only_user_repo", N_("Accepted for compatibility; uploads always go to the named store only")),
        MODE_PARAM,
    ),
    response_fields=(
        WsField("status", N_("Request result status (OK or FAIL)")),
        WsField("errors", N_("Errors log from the request (not existent when status=\"OK\")")),
        WsField("info", N_("The published APK: url (download address) and iconUrl")),
    ),
    error_codes=("MARG-200", "IARG-2", "MARG-1", "MARG-5", "IARG-1", "REPO-1", "APK-2", "APK-3", "APK-4", "APK-5",
                 "APK-6", "APK-7", "APK-8", "APK-9", "APK-10", "APK-11", "APK-12", "APK-13", "REPO-4"),
    example={"token": "$token", "repo": "$demo", "apk_md5sum": "$md5"},
    example_method="POST",
)
def upload_app_to_repo(call: WsCall) -> dict[str, Any]:
    assert call.developer is not None
    meta = {k: call.params[k] for k in META_FIELDS if call.params.get(k)}
    if "category" in meta:
        used = queries.used_categories(call.svc, queries.public_store_ids(call.svc, call.developer.id))
        named = categories.name_of(meta["category"].strip(), used)
        if named is None:  # a number nobody uses ("App Category" left selected, -1, …): no category
            del meta["category"]
        else:
            meta["category"] = named
    upload = call.files.get("apk")
    if upload is not None:  # a ReceivedFile: already in a private temp file, removed after the answer
        published = publishing.publish_file(call.svc, call.developer.id, call.get("repo"), upload.path, meta)
    elif call.get("apk_md5sum"):
        published = publishing.publish_known_md5(call.svc, call.developer.id, call.get("repo"), call.get("apk_md5sum"), meta)
    else:
        raise Failure(problem(errors.MISSING_APK))
    apk = published.apk
    store = call.get("repo").lower()
    return {"info": {
        "url": apk_url(call.base_url, store, apk.file_name),
        "iconUrl": apk_url(call.base_url, store, apk.icon_name, "icons") if apk.icon_name else None,
        "package": apk.package, "vercode": apk.version_code, "md5sum": apk.md5,
    }}


@webservice(
    name="listCategories",
    title=N_("Listing the app categories"),
    description=N_("The categories an app can be published in: the standard list (ids 1 and 2 are the Applications "
                   "and Games groups, parents of the rest) and, as custom, every other category public stores use. "
                   "uploadAppToRepo takes a category's id or its name; the Aptoide Uploader fills its list from here."),
    generations=frozenset({1, 2, 3}),
    requires_token=False,
    params=(MODE_PARAM,),
    response_fields=(
        WsField("status", N_("Request result status (OK or FAIL)")),
        WsField("categories", N_("standard and custom: lists of {id, parent, name}")),
    ),
    error_codes=("IARG-100", "IARG-101", "IARG-103"),
    example={},
)
def list_categories(call: WsCall) -> dict[str, Any]:
    return {"categories": categories.listing(queries.used_categories(call.svc, queries.public_store_ids(call.svc)))}
