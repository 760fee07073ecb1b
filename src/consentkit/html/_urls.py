"""Which vendors a URL belongs to, with the URL parsed as a browser parses it.

URLs are parsed by ada (the WHATWG URL Standard): tabs and newlines removed, leading and
trailing control characters and spaces stripped, backslashes, IDNA mapping (fullwidth
letters, ideographic full stops), percent-encoded hosts, default ports, dot segments,
all resolved against a base. Matching a flattened string instead, as consentkit once
did, let ``*`` run from the host into the path, so a first-party URL merely carrying a
tracker's URL in its path was taken for the tracker's.

A pattern is ``[scheme:][//]host[/path]``, matched component by component:

- the scheme is ignored (``http``, ``https``, ``ws``, ``wss`` and ``ftp`` URLs match; no
  other scheme does, ``javascript:`` and ``data:`` being judged elsewhere);
- the host is compared with the parsed hostname, lower-cased and without a trailing dot:
  a host ``*`` matches any host, a first label ``*`` one or more labels, and inside a
  label ``*`` matches any run and ``?`` one character, never a ``.``; any port matches;
- the path is compared with the URL's path and query, both with their percent-encoded
  unreserved characters decoded: ``*`` matches any run but ``/`` and ``?`` one character
  but ``/``, except a ``*`` that ends the pattern, which matches the rest; a pattern
  without a path is the host's root, ``/``, alone (a ``preconnect`` to the host).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from ada_url import URL

from consentkit.exceptions import ConfigurationError

__all__ = ["UrlPatterns", "resolve_base"]

_SCHEME = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*|\*):(?=//)")
_MATCHED = frozenset(["http:", "https:", "ws:", "wss:", "ftp:"])
_UNRESERVED = re.compile(r"%(2[dDeE]|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF]|7[eE])")
_HOST_CHARS = re.compile(r"[a-z0-9*?\-_.\[\]:]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_DEFAULT_BASE = "https://consentkit.invalid/"  # scheme-relative URLs take https


def _decoded(path: str) -> str:
    """Percent-encoded unreserved characters decoded: ``/%72ecaptcha`` is ``/recaptcha``."""
    return _UNRESERVED.sub(lambda m: chr(int(m[1], 16)), path) if "%" in path else path


def _host_regex(vendor: str, pattern: str, host: str) -> str:
    if not host or not _HOST_CHARS.fullmatch(host):
        raise ConfigurationError(
            f"vendor {vendor!r}: URL pattern {pattern!r} has no valid host "
            "(letters, digits, '-', '.', and '*' or '?' inside a label)"
        )
    if host == "*":
        return r"[^/]+"  # any host at all
    labels = host.rstrip(".").split(".")
    parts = []
    for i, label in enumerate(labels):
        if label == "*" and i == 0 and len(labels) > 1:
            parts.append(r"(?:[^.]+\.)*[^.]+")
            continue
        parts.append(
            "".join("[^.]*" if c == "*" else "[^.]" if c == "?" else re.escape(c) for c in label)
        )
    return r"\.".join(parts)


def _path_regex(path: str) -> str:
    path = _decoded(path)
    tail = ".*" if path.endswith("*") else ""
    if tail:
        path = path[:-1]
    body = "".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in path)
    return body + tail


class UrlPatterns:
    """Every vendor's URL patterns, compiled into one matcher per component."""

    __slots__ = ("_patterns",)

    def __init__(self, signatures: Iterable[tuple[str, Sequence[str]]]) -> None:
        compiled: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = []
        for vendor, patterns in signatures:
            for pattern in patterns:
                text = pattern.strip().replace("\\", "/")
                if not text:
                    raise ConfigurationError(f"vendor {vendor!r}: empty URL pattern")
                if scheme := _SCHEME.match(text):
                    text = text[scheme.end() :]
                host, _, path = text.removeprefix("//").partition("/")
                host = host.translate(_ASCII_LOWER)
                host_re = re.compile(_host_regex(vendor, pattern, host))
                path_re = re.compile("/" + _path_regex(path) if path else "/", re.DOTALL)
                compiled.append((vendor, host_re, path_re))
        self._patterns = tuple(compiled)

    def vendors(self, url: str, base: str | None) -> tuple[str, ...]:
        """Every vendor, in signature order, whose pattern matches ``url`` as a browser
        resolves it against ``base``; with no base, a relative URL matches nothing."""
        parsed = _parse(url, base)
        if parsed is None:
            return ()
        host, path = parsed
        found: list[str] = []
        for vendor, host_re, path_re in self._patterns:
            if vendor not in found and host_re.fullmatch(host) and path_re.fullmatch(path):
                found.append(vendor)
        return tuple(found)


def _parse(url: str, base: str | None) -> tuple[str, str] | None:
    # Absolute first: "https:host/x" is relative on an https page but absolute on an http
    # one, and the document's scheme isn't known here; either reading may be the browser's.
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        try:
            parsed = URL(url, base=base if base is not None else _DEFAULT_BASE)
        except (ValueError, TypeError):
            return None
    if parsed.protocol not in _MATCHED:
        return None
    host = parsed.hostname.rstrip(".")
    if base is None and host == "consentkit.invalid":
        return None  # relative: the document's own URL, which we don't know
    return host, _decoded(parsed.pathname + parsed.search)


def resolve_base(href: str, base: str | None) -> str | None:
    """The base URL a ``<base href>`` sets: None when it doesn't parse or is a ``data:``
    or ``javascript:`` URL, which the HTML Standard ignores there."""
    try:
        parsed = URL(href, base=base if base is not None else _DEFAULT_BASE)
    except (ValueError, TypeError):
        return None
    if parsed.protocol in ("data:", "javascript:"):
        return None
    return str(parsed.href)
