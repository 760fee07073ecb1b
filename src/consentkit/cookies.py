"""Cookie syntax: read ``Cookie`` headers, parse and write ``Set-Cookie`` values.

This module knows the wire format only. It decides nothing about consent and does
no I/O, so the middleware can call it on every request, and tests can call it
without a server.

Parsing follows what browsers do (RFC 6265 and its successor, RFC 6265bis) rather
than the strict grammar, and never raises on any ``str``: a request can carry
anything, and a bad cookie must never turn into a 500. Writing is strict: a
``Set-Cookie`` value built here either means what the caller asked for or raises
``ValueError``, so a stray ``;`` or line break can never smuggle in an attribute
or a header.

.. versionadded:: 0.1
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "SetCookie",
    "consent_cookie",
    "cookie_names",
    "deletion_domains",
    "expire_cookie",
    "get_cookie",
    "parse_cookie_header",
    "parse_set_cookie",
    "set_cookie_name",
]

# RFC 6265 WSP: only space and horizontal tab are trimmed. str.strip() would also eat
# "\xa0" and "\x85", which are ordinary bytes of a latin-1-decoded header.
_WSP = " \t"
# Control characters except HTAB. RFC 6265bis: a browser ignores a cookie whose name or
# value holds one, so it never sends such a name back.
_CTL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# RFC 6265 §4.1.1: cookie-name is an RFC 2616 token, cookie-value is cookie-octets.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_COOKIE_OCTETS = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")
_MAX_AGE = re.compile(r"-?[0-9]+")
_SAME_SITE = {"strict": "Strict", "lax": "Lax", "none": "None"}
_ATTRIBUTES = frozenset(
    ("domain", "path", "expires", "max-age", "secure", "httponly", "samesite", "partitioned")
)
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"
# One DNS label, lower-cased. "_" is not LDH but real internal hosts use it.
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def _unquote(value: str) -> str:
    # Browsers send a quoted value back byte for byte, quotes included, and never
    # escape anything inside: so strip the quotes and leave backslashes alone.
    value = value.strip(_WSP)
    if len(value) > 1 and value[0] == '"' and value[-1] == '"':
        return value[1:-1]
    return value


def _is_sendable_name(name: str) -> bool:
    # isprintable() is a fast C-level pass for the usual ASCII name; the regex only runs
    # for names with a tab or non-ASCII characters, which isprintable() rejects wholesale.
    return name.isprintable() or _CTL.search(name) is None


def parse_cookie_header(header: str) -> dict[str, str]:
    """Return the cookies of a request ``Cookie`` header, by name.

    Pairs are split on ``;`` and blanks around names and values are trimmed. A value
    in double quotes loses its quotes; backslashes are kept, because browsers never
    escape anything. A pair without ``=``, with an empty name, or with a control
    character in its name is skipped: no browser sends one. When a name repeats, the
    **first** value wins, since browsers list the cookie with the longest ``Path``
    first. Values are returned as they arrived (latin-1-decoded under WSGI and ASGI).

    Never raises on any ``str``.

    :param header: the header value, for example ``environ["HTTP_COOKIE"]``.

    .. versionadded:: 0.1
    """
    cookies: dict[str, str] = {}
    for pair in header.split(";"):
        name, eq, value = pair.partition("=")
        if not eq:
            continue
        name = name.strip(_WSP)
        if not name or name in cookies or not _is_sendable_name(name):
            continue
        cookies[name] = _unquote(value)
    return cookies


# The same few names are looked up on every request: remember the verdict.
@lru_cache(maxsize=64)
def _is_lookup_name(name: str) -> bool:
    # A name parse_cookie_header can never return is never found, even when the text
    # occurs in the header: "a; b" or " b" would otherwise match inside another pair.
    return (
        bool(name)
        and ";" not in name
        and "=" not in name
        and name[0] not in _WSP
        and name[-1] not in _WSP
        and _is_sendable_name(name)
    )


def get_cookie(header: str, name: str) -> str | None:
    """Return the value of one cookie, or ``None`` when the header does not carry it.

    Same answer as ``parse_cookie_header(header).get(name)``, without building the
    dict: this runs on every request to find the consent token.

    .. versionadded:: 0.1
    """
    if not _is_lookup_name(name):
        return None
    size = len(header)
    start = 0
    while (found := header.find(name, start)) >= 0:
        start = found + 1
        # A real match starts a pair: only blanks between it and the previous ";" ...
        before = found - 1
        while before >= 0 and header[before] in _WSP:
            before -= 1
        if before >= 0 and header[before] != ";":
            continue
        # ... and only blanks between it and its "=". Since the name holds neither ";"
        # nor "=", this is exactly the pair parse_cookie_header would name so.
        after = found + len(name)
        while after < size and header[after] in _WSP:
            after += 1
        if after == size or header[after] != "=":
            continue
        end = header.find(";", after)
        return _unquote(header[after + 1 :] if end < 0 else header[after + 1 : end])
    return None


def cookie_names(header: str) -> list[str]:
    """Return the names of the cookies in a request ``Cookie`` header, in order, once each.

    .. versionadded:: 0.1
    """
    return list(parse_cookie_header(header))


@dataclass(frozen=True, slots=True)
class SetCookie:
    """One ``Set-Cookie`` header value, as a browser would read it.

    Values the browser uses are kept as written: ``domain`` keeps a leading dot and
    its case, ``value`` keeps its quotes, ``expires`` is the date text unparsed.
    Browsers ignore a leading dot on ``Domain`` and compare it case-insensitively, so
    compare ``domain.removeprefix(".").lower()`` when matching cookies.
    ``same_site`` is ``"Strict"``, ``"Lax"``, ``"None"`` or ``None`` (unset).
    Attributes this module does not know, such as ``Priority=High``, are kept
    verbatim in ``extra`` so that nothing is lost when the header is written again.

    .. versionadded:: 0.1
    """

    name: str
    value: str
    domain: str | None = None
    path: str | None = None
    max_age: int | None = None
    expires: str | None = None
    secure: bool = False
    http_only: bool = False
    same_site: str | None = None
    partitioned: bool = False
    extra: tuple[str, ...] = ()

    def serialize(self) -> str:
        """Return the ``Set-Cookie`` header value.

        ``parse_set_cookie(cookie.serialize()) == cookie`` for every cookie that
        serializes.

        :raises ValueError: when a field would change the header's meaning: a ``;``
            or control character anywhere, a ``=`` or nothing in ``name``, blanks at
            either end of a field, an empty ``domain`` or ``expires``, a ``path`` not
            starting with ``/``, another ``same_site``, or an ``extra`` attribute
            that is empty or one this class already has a field for.
        """
        _check_text("name", self.name)
        if not self.name or "=" in self.name:
            raise ValueError(f"cookie name {self.name!r} must be non-empty and have no '='")
        _check_text("value", self.value)
        parts = [f"{self.name}={self.value}"]
        if self.path is not None:
            _check_text("path", self.path)
            if not self.path.startswith("/"):
                raise ValueError(f"cookie path {self.path!r} must start with '/'")
            parts.append(f"Path={self.path}")
        if self.domain is not None:
            _check_text("domain", self.domain, empty=False)
            parts.append(f"Domain={self.domain}")
        if self.expires is not None:
            _check_text("expires", self.expires, empty=False)
            parts.append(f"Expires={self.expires}")
        if self.max_age is not None:
            parts.append(f"Max-Age={self.max_age:d}")
        if self.secure:
            parts.append("Secure")
        if self.http_only:
            parts.append("HttpOnly")
        if self.same_site is not None:
            if self.same_site not in _SAME_SITE.values():
                raise ValueError(f"same_site {self.same_site!r} must be 'Strict', 'Lax' or 'None'")
            parts.append(f"SameSite={self.same_site}")
        if self.partitioned:
            parts.append("Partitioned")
        for attribute in self.extra:
            _check_text("extra attribute", attribute, empty=False)
            if _attribute_name(attribute) in _ATTRIBUTES:
                raise ValueError(f"extra attribute {attribute!r} has a field of its own")
            parts.append(attribute)
        return "; ".join(parts)


def _check_text(field: str, text: str, *, empty: bool = True) -> None:
    if ";" in text or _CTL.search(text):
        raise ValueError(f"cookie {field} {text!r} contains ';' or a control character")
    if text != text.strip(_WSP) or (not empty and not text):
        raise ValueError(f"cookie {field} {text!r} is empty or has blanks at an end")


def _attribute_name(attribute: str) -> str:
    # Browsers match attribute names ASCII-case-insensitively; str.lower() would also map
    # some non-ASCII letters onto ASCII ones (the Kelvin sign becomes "k").
    name = attribute.partition("=")[0].strip(_WSP)
    return name.lower() if name.isascii() else name


def set_cookie_name(header_value: str) -> str | None:
    """The name :func:`parse_set_cookie` would give, without reading the attributes:
    what deciding whether a cookie may be set needs, on every response that sets one."""
    if _CTL.search(header_value):
        return None
    name, eq, _ = header_value.partition(";")[0].partition("=")
    name = name.strip(_WSP)
    return name if eq and name else None


def parse_set_cookie(header_value: str) -> SetCookie | None:
    """Parse one ``Set-Cookie`` header value the way a browser does (RFC 6265 §5.2).

    Attribute names are case-insensitive and the last occurrence of an attribute
    wins. Attributes a browser ignores are dropped: an empty ``Domain``, a ``Max-Age``
    that is not an integer, an empty ``Expires``. A ``Path`` not starting with ``/``
    and an unknown ``SameSite`` value reset ``path`` and ``same_site`` to ``None``, as
    they reset a browser to its defaults. ``Secure``, ``HttpOnly`` and
    ``Partitioned`` are flags whatever value follows them. The ``Expires`` date is not
    checked: it is kept as written.

    Returns ``None`` when there is no usable name: no ``=`` before the first ``;`` (a
    nameless cookie, which browsers store but no catalogue rule can match), an empty
    name, or a control character anywhere, which makes browsers ignore the whole
    header (and which servers such as h11 refuse to send). The caller can pass such
    a header on untouched. Never raises on any ``str``.

    .. versionadded:: 0.1
    """
    if _CTL.search(header_value):
        return None
    pair, _, attributes = header_value.partition(";")
    name, eq, value = pair.partition("=")
    name = name.strip(_WSP)
    if not eq or not name:
        return None
    domain = path = expires = same_site = None
    max_age: int | None = None
    secure = http_only = partitioned = False
    extra: list[str] = []
    for attribute in attributes.split(";"):
        attribute = attribute.strip(_WSP)
        if not attribute:
            continue
        key = _attribute_name(attribute)
        text = attribute.partition("=")[2].strip(_WSP)
        if key == "domain":
            domain = text or domain
        elif key == "path":
            path = text if text.startswith("/") else None
        elif key == "expires":
            expires = text or expires
        elif key == "max-age":
            if _MAX_AGE.fullmatch(text):
                max_age = int(text)
        elif key == "samesite":
            same_site = _SAME_SITE.get(text.lower() if text.isascii() else text)
        elif key == "secure":
            secure = True
        elif key == "httponly":
            http_only = True
        elif key == "partitioned":
            partitioned = True
        else:
            extra.append(attribute)
    return SetCookie(
        name,
        value.strip(_WSP),
        domain=domain,
        path=path,
        max_age=max_age,
        expires=expires,
        secure=secure,
        http_only=http_only,
        same_site=same_site,
        partitioned=partitioned,
        extra=tuple(extra),
    )


def _prefix(name: str) -> str | None:
    # RFC 6265bis matches the prefixes case-insensitively; browsers then insist on Secure
    # (both) and on no Domain with Path=/ (__Host-).
    for prefix in ("__host-", "__secure-"):
        if name[: len(prefix)].lower() == prefix:
            return prefix
    return None


def expire_cookie(
    name: str, *, domain: str | None = None, path: str = "/", secure: bool = False
) -> str:
    """Return a ``Set-Cookie`` value that deletes the cookie ``name``.

    A browser deletes a cookie only when name, ``Domain`` and ``Path`` all match the
    ones it was set with, so send one deletion per candidate domain (see
    :func:`deletion_domains`). ``domain=None`` deletes the host-only cookie.

    The value is empty, with ``Max-Age=0`` for current browsers and an ``Expires`` in
    1970 for old ones. ``Secure`` is added when asked, and always for names starting
    with ``__Secure-`` or ``__Host-`` (in any case), since browsers refuse to touch
    those without it. A ``__Host-`` cookie is
    host-only on ``/`` by definition, so ``domain`` and ``path`` are ignored for it.

    :raises ValueError: when ``name``, ``domain`` or ``path`` can't be written safely
        (see :meth:`SetCookie.serialize`). Every name :func:`parse_cookie_header`
        returns can be.

    .. versionadded:: 0.1
    """
    prefix = _prefix(name)
    if prefix == "__host-":
        domain, path = None, "/"
    secure = secure or prefix is not None
    return SetCookie(
        name, "", domain=domain, path=path, max_age=0, expires=_EPOCH, secure=secure
    ).serialize()


def deletion_domains(host: str) -> list[str | None]:
    """Return the ``Domain`` values to send deletions for, given the request's ``Host``.

    ``None`` (the host-only cookie) comes first, then the host itself and each of its
    parent domains, never a bare top-level domain::

        >>> deletion_domains("www.shop.example.com:8443")
        [None, 'www.shop.example.com', 'shop.example.com', 'example.com']

    A host-only cookie and a cookie with ``Domain=example.com`` are different cookies,
    and trackers such as Google Analytics write theirs on the parent domain, so each
    must be expired on its own. The port is dropped and the host lower-cased. IP
    addresses, single-label hosts such as ``localhost``, hosts ending with a dot, and
    anything that is not an ASCII host name give ``[None]``.

    Without a public suffix list, a host under ``co.uk`` also yields ``co.uk``; a
    browser refuses a cookie on a public suffix, so that deletion is only wasted
    bytes.

    .. versionadded:: 0.1
    """
    host = host.strip(_WSP)
    if not host.isascii() or host.startswith("["):  # "[" opens an IPv6 literal
        return [None]
    host, _, port = host.partition(":")
    host = host.lower()
    labels = host.split(".")
    if (
        (port and not port.isdigit())
        or len(host) > 253
        or len(labels) < 2
        or not all(_LABEL.fullmatch(label) for label in labels)
        # A numeric last label makes an IPv4 address, not a name (WHATWG URL, "ends in a
        # number"); no top-level domain is numeric.
        or labels[-1].isdigit()
        or labels[-1].startswith("0x")
    ):
        return [None]
    domains: list[str | None] = [None]
    domains.extend(".".join(labels[i:]) for i in range(len(labels) - 1))
    return domains


def consent_cookie(
    name: str,
    value: str,
    *,
    max_age: int,
    secure: bool = True,
    domain: str | None = None,
    path: str = "/",
) -> str:
    """Return the ``Set-Cookie`` value that stores the signed consent token.

    The cookie is ``HttpOnly`` (page scripts have no business reading the token),
    ``SameSite=Lax`` (it still arrives when a visitor follows a link to the site),
    and ``Secure`` unless ``secure=False``, which is only for plain-http development.
    Its lifetime is ``Max-Age`` alone: every browser in use understands it, and an
    ``Expires`` date would depend on the server's clock.

    :param max_age: seconds until the decision expires.
    :raises ValueError: when ``name`` is not an RFC 6265 token, ``value`` holds a
        character outside cookie-octets, ``max_age`` is negative, a ``__Secure-`` or
        ``__Host-`` name is used without ``Secure`` or, for ``__Host-``, with a
        ``domain`` or another ``path`` (browsers would drop the cookie silently), or
        ``domain`` or ``path`` can't be written safely. Tokens are base64url and
        ``.``, so this only catches programming errors.

    .. versionadded:: 0.1
    """
    if not _TOKEN.fullmatch(name):
        raise ValueError(f"consent cookie name {name!r} is not an RFC 6265 token")
    if not _COOKIE_OCTETS.fullmatch(value):
        bad = next(c for c in value if not _COOKIE_OCTETS.fullmatch(c))
        raise ValueError(f"consent cookie value contains {bad!r}, which is not a cookie-octet")
    if max_age < 0:
        raise ValueError(f"consent cookie max_age must not be negative, got {max_age}")
    prefix = _prefix(name)
    if prefix is not None and not secure:
        raise ValueError(f"cookie {name!r} needs secure=True")
    if prefix == "__host-" and (domain is not None or path != "/"):
        raise ValueError(f"cookie {name!r} must have no domain and path '/'")
    return SetCookie(
        name,
        value,
        domain=domain,
        path=path,
        max_age=max_age,
        secure=secure,
        http_only=True,
        same_site="Lax",
    ).serialize()
