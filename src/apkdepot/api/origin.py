"""Which host names this server answers for, and the one absolute base URL
every link is built from.

The request's ``Host`` header is attacker-controlled: a link built from it
(a password-reset mail, an ``info_xml`` URL in a cached answer) can point a
victim at another server. So:

* with ``APKDEPOT_PUBLIC_URL`` set, every absolute link uses it, whatever the
  request said;
* a request whose ``Host`` is not in the allow-list (``APKDEPOT_ALLOWED_HOSTS``,
  by default the listen address, localhost and the public URL's host) is
  refused with 400 before any handler runs (``HostGuard``), so without a
  public URL the links can only name a host the operator allowed.

The scheme of a derived link is the connection's, or ``X-Forwarded-Proto``
when the direct peer is a trusted proxy (``APKDEPOT_TRUSTED_PROXIES``)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

import msgspec

from apkdepot.config import Settings

# Where HostGuard leaves the checked base URL for the handlers (ASGI scope key).
BASE_URL_SCOPE_KEY = "apkdepot.base_url"
SCHEME_SCOPE_KEY = "apkdepot.scheme"
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def split_host(value: str) -> tuple[str, str]:
    """(lower-case host name, port or '') of a Host header value; IPv6 in brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else ""
    host, colon, port = value.rpartition(":")
    if not colon or not port.isascii() or not port.isdigit():
        return value, ""
    return host, port


def allowed_host_names(settings: Settings) -> frozenset[str] | None:
    """The host names answered; None means every host (``APKDEPOT_ALLOWED_HOSTS=*``)."""
    configured = [h.strip().lower() for h in settings.allowed_hosts.split(",") if h.strip()]
    if "*" in configured:
        return None
    names = set(configured)
    if not configured:
        names.update(LOOPBACK_NAMES)
        if settings.host not in ("0.0.0.0", "::", ""):
            names.add(settings.host.lower())
    if settings.public_url:
        names.add(split_host(urlsplit(settings.public_url).netloc.rpartition("@")[2])[0])
    if settings.store_domain:
        names.add("." + settings.store_domain)
    return frozenset(names)


# What a store's own host name serves (the rest of the site stays where it is).
STORE_HOST_FILES = re.compile(r"/(info\.xml|latest\.xml|top\.xml|avatar|(apk|icons)/[^/]+)\Z")


def store_host_path(store_domain: str, host_name: str, path: str) -> str | None:
    """``/repo/<store>/<file>`` for a request to ``<store>.<store_domain>/<file>``; None for any other."""
    if not store_domain or not host_name.endswith("." + store_domain):
        return None
    store = host_name[:-len(store_domain) - 1]
    if not store or "." in store or not STORE_HOST_FILES.match(path):
        return None
    return f"/repo/{store}{path}"


def host_is_allowed(host_header: str | None, allowed: frozenset[str] | None) -> bool:
    if allowed is None:
        return True
    if not host_header:
        return False
    name, _ = split_host(host_header)
    if name in allowed:
        return True
    # A leading dot allows a domain and its subdomains, as Django's ALLOWED_HOSTS does.
    return any(entry.startswith(".") and (name == entry[1:] or name.endswith(entry)) for entry in allowed)


def trusted_proxy_networks(settings: Settings) -> tuple[Any, ...]:
    networks = []
    for item in settings.trusted_proxies.split(","):
        item = item.strip()
        if item:
            networks.append(ipaddress.ip_network(item, strict=False))
    return tuple(networks)


def peer_is_trusted(client: tuple[str, int] | list | None, networks: tuple[Any, ...]) -> bool:
    if not networks or not client:
        return False
    try:
        address = ipaddress.ip_address(client[0])
    except ValueError:
        return False
    return any(address in network for network in networks)


def client_address(client: tuple[str, int] | list | None, forwarded_for: str | None,
                   networks: tuple[Any, ...]) -> str | None:
    """The address of whoever sent the request: the peer, or, when the peer is a
    trusted proxy, the nearest X-Forwarded-For hop that is not one (a client
    can write anything further left, so only the hops our proxies added count)."""
    peer = client[0] if client else None
    if not forwarded_for or not peer_is_trusted(client, networks):
        return peer
    for hop in reversed([part.strip() for part in forwarded_for.split(",")]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a hop our proxy would not write: trust none of it
        if not peer_is_trusted((hop, 0), networks):
            return hop
    return peer


def request_scheme(scope: dict[str, Any], forwarded_proto: str | None, networks: tuple[Any, ...]) -> str:
    if forwarded_proto and peer_is_trusted(scope.get("client"), networks):
        proto = forwarded_proto.split(",")[0].strip().lower()
        if proto in ("http", "https"):
            return proto
    return "https" if scope.get("scheme") in ("https", "wss") else "http"


def derived_base_url(settings: Settings, scheme: str, host_header: str | None) -> str:
    """The base URL of this request: the configured public URL, else scheme and
    (already allow-listed) Host, else the listen address."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    if host_header:
        return f"{scheme}://{host_header.strip()}"
    return settings.base_url


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


HOST_REFUSED_BODY = msgspec.json.encode({"status": "FAIL", "errors": [
    {"code": "HOST-1", "msg": "This server does not answer for that host name (Host header); see APKDEPOT_ALLOWED_HOSTS."}]})


class HostGuard:
    """Outermost ASGI layer: refuses hosts outside the allow-list and records
    the request's checked base URL and scheme for every handler below."""

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.allowed = allowed_host_names(settings)
        self.proxies = trusted_proxy_networks(settings)

    def __getattr__(self, name: str) -> Any:  # state, routes... of the wrapped app
        if name == "app":
            raise AttributeError(name)
        return getattr(self.app, name)

    def base_url_for(self, host: str | None, forwarded_proto: str | None, client: Any,
                     connection_scheme: str | None) -> str | None:
        """The checked base URL of a request that names no store host, or None when its host is refused."""
        if not host_is_allowed(host, self.allowed):
            return None
        scheme = request_scheme({"client": client, "scheme": connection_scheme}, forwarded_proto, self.proxies)
        return derived_base_url(self.settings, scheme, host)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = _header(scope, b"host")
        if not host_is_allowed(host, self.allowed):
            await send({"type": "http.response.start", "status": 400,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(HOST_REFUSED_BODY)).encode())]})
            await send({"type": "http.response.body", "body": HOST_REFUSED_BODY})
            return
        rewritten = store_host_path(self.settings.store_domain, split_host(host or "")[0].lower(), scope["path"])
        if rewritten is not None:
            prefix = rewritten[:len(rewritten) - len(scope["path"])]
            raw = scope.get("raw_path") or scope["path"].encode("utf-8")
            scope = {**scope, "path": rewritten, "raw_path": prefix.encode("utf-8") + raw}
        scheme = request_scheme(scope, _header(scope, b"x-forwarded-proto"), self.proxies)
        scope[SCHEME_SCOPE_KEY] = scheme
        scope[BASE_URL_SCOPE_KEY] = derived_base_url(self.settings, scheme, host)
        await self.app(scope, receive, send)


def base_url_of(scope: dict[str, Any], settings: Settings) -> str:
    """The base URL for links in an answer to this request (never the raw Host)."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return scope.get(BASE_URL_SCOPE_KEY) or settings.base_url


def is_https(scope: dict[str, Any]) -> bool:
    return scope.get(SCHEME_SCOPE_KEY, "https" if scope.get("scheme") == "https" else "http") == "https"
