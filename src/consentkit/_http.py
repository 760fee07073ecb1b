"""What the WSGI, ASGI and Django adapters read from a request, read one way.

Sans-I/O: these functions take what a server handed over (a WSGI ``environ`` or
Django's ``META``, which follow CGI's names; an ASGI ``scope``) and return plain
values. The adapters only translate, so the three cannot drift apart again, as they
had: Django read no chunked consent POST and passed no client address to the ledger.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "declared_length",
    "environ_client",
    "environ_headers",
    "environ_host",
    "scope_client",
    "scope_headers",
    "scope_host",
    "too_large",
]


def environ_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """Request headers by lower-case name, from ``HTTP_*`` keys and ``CONTENT_TYPE``."""
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return headers


def environ_host(environ: Mapping[str, Any]) -> str:
    """The ``Host`` header, or the server's name and port (with no default port)."""
    host = environ.get("HTTP_HOST")
    if host:
        return str(host)
    name, port = environ.get("SERVER_NAME", ""), environ.get("SERVER_PORT", "")
    default = "443" if environ.get("wsgi.url_scheme") == "https" else "80"
    return f"{name}:{port}" if port and str(port) != default else str(name)


def environ_client(environ: Mapping[str, Any]) -> str | None:
    """The client's address, as the server saw it."""
    client = environ.get("REMOTE_ADDR")
    return str(client) if client else None


def scope_headers(scope: Mapping[str, Any]) -> dict[str, str]:
    """Request headers by lower-case name; repeated ``Cookie`` headers are joined as HTTP/2 says."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", ()):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        if name in headers:
            headers[name] += ("; " if name == "cookie" else ", ") + value
        else:
            headers[name] = value
    return headers


def scope_host(scope: Mapping[str, Any], headers: Mapping[str, str]) -> str:
    """The ``Host`` header, or the server's name and port (with no default port)."""
    host = headers.get("host")
    if host:
        return host
    server = scope.get("server")
    if server:
        name, port = server[0], server[1]
        default = 443 if scope.get("scheme") == "https" else 80
        return f"{name}:{port}" if port and port != default else str(name)
    return ""


def scope_client(scope: Mapping[str, Any]) -> str | None:
    """The client's address, as the server saw it."""
    client = scope.get("client")
    return str(client[0]) if client else None


def declared_length(value: object) -> int | None:
    """A ``Content-Length``, or ``None`` when there is none or it isn't a length (a
    chunked body: read it to its end, up to the limit)."""
    if value is None:
        return None
    text = str(value).strip()
    return int(text) if text.isascii() and text.isdigit() else None  # not "²", not "１２"


def too_large(limit: int) -> bytes:
    """The body an adapter hands over for a request whose declared length is over
    ``limit``: never read, and refused by size (413) like a longer one."""
    return b"\0" * (limit + 1)
