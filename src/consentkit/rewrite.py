"""Header policy: which ``Set-Cookie`` headers go out, which cookies get deleted, ``Vary``.

Pure functions over header lists of ``(name, value)`` text pairs; the WSGI and
ASGI adapters translate their own header forms into these.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from consentkit.cookies import deletion_domains, expire_cookie, parse_set_cookie, set_cookie_name
from consentkit.gate import Gate, Verdict

__all__ = [
    "MAX_DELETION_DOMAINS",
    "NO_BODY_STATUSES",
    "REWRITABLE_CONTENT_TYPES",
    "add_vary_cookie",
    "filter_set_cookies",
    "is_deletion",
    "is_rewritable",
    "stale_cookie_deletions",
]

logger = logging.getLogger("consentkit")

REWRITABLE_CONTENT_TYPES = ("text/html", "application/xhtml+xml")
#: Parent domains tried per stale cookie. ``a.b.shop.example.co.uk`` needs five; a
#: forged Host with a hundred labels must not make a hundred headers.
MAX_DELETION_DOMAINS = 6
#: Statuses whose responses have no body to rewrite.
NO_BODY_STATUSES = frozenset({204, 205, 304})


def filter_set_cookies(
    headers: Sequence[tuple[str, str]],
    gate: Gate,
    undeclared: Callable[[str], None] | None = None,
    verdict: Callable[[str], Verdict] | None = None,
) -> list[tuple[str, str]]:
    """The headers without the ``Set-Cookie`` of cookies the gate doesn't allow.

    An app deleting a cookie is always let through: removing a tracker is what
    consent asks for. A header that can't be parsed is left alone, since a
    browser would ignore it too. ``undeclared`` is told each cookie set that no
    rule declares, whatever the gate does with it; ``verdict`` stands in for the
    gate's (the engine's remembers its answers).
    """
    verdict = verdict or gate.verdict
    kept = []
    for name, value in headers:
        if name.lower() == "set-cookie" and (cookie_name := set_cookie_name(value)) is not None:
            said = verdict(cookie_name)
            if said == "undeclared" and undeclared is not None:
                undeclared(cookie_name)
            if said == "deny" or (said == "undeclared" and gate.strict):
                # Its attributes are read only now: a deletion is always let through.
                cookie = parse_set_cookie(value)
                if cookie is not None and not is_deletion(cookie.max_age, cookie.expires):
                    logger.debug("dropped Set-Cookie %r: no consent", cookie_name)
                    continue
        kept.append((name, value))
    return kept


def is_deletion(max_age: int | None, expires: str | None) -> bool:
    if max_age is not None:
        return max_age <= 0
    if expires is None:
        return False
    try:
        when = parsedate_to_datetime(expires)
    except (TypeError, ValueError, IndexError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when <= datetime.now(UTC)


def stale_cookie_deletions(
    names: Iterable[str], gate: Gate, host: str, *, keep: Iterable[str] = ()
) -> list[str]:
    """``Set-Cookie`` values that expire the tracker cookies the gate no longer allows.

    Only cookies a catalogue rule declares are deleted: an unknown cookie's
    path and domain can't be known, and it may be the site's own. A cookie
    is deleted under the same name, path and domain it was set with, which the
    browser doesn't tell us; so each is expired host-only and for each parent
    domain of ``host`` (Google Analytics writes ``Domain=.example.com``), on
    ``Path=/``, and on the rule's own domain and path when it names them.

    :param keep: names never to delete (the consent cookie itself).
    """
    kept = set(keep)
    deletions: list[str] = []
    domains: list[str | None] | None = None  # worked out only when something is stale
    for name in names:
        if name in kept or gate.verdict(name) != "deny":
            continue
        if domains is None:
            domains = deletion_domains(host)[:MAX_DELETION_DOMAINS]
        rule = gate.catalogue.rule_for(name)
        targets: dict[tuple[str | None, str], None] = dict.fromkeys((d, "/") for d in domains)
        if rule is not None and (rule.domain or rule.path):
            targets[(rule.domain, rule.path or "/")] = None
        for domain, path in targets:
            deletions.append(expire_cookie(name, domain=domain, path=path))
    return deletions


def is_rewritable(method: str, status: int, headers: Sequence[tuple[str, str]]) -> bool:
    """Whether a response's body is HTML the rewriting may touch.

    Bodies already compressed (any ``Content-Encoding`` but identity), non-HTML
    types, ``HEAD`` responses and bodiless statuses pass through untouched.
    """
    if method == "HEAD" or status in NO_BODY_STATUSES or status < 200:
        return False
    content_type = None
    for name, value in headers:
        lower = name.lower()
        if lower == "content-encoding" and value.strip().lower() not in ("", "identity"):
            return False
        if lower == "content-type":
            content_type = value.lower()
    if content_type is None:
        return True  # browsers sniff it, and so does the rewriting
    return content_type.partition(";")[0].strip() in REWRITABLE_CONTENT_TYPES


def add_vary_cookie(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Add ``Cookie`` to ``Vary``, so caches keep one copy per consent state."""
    for i, (name, value) in enumerate(headers):
        if name.lower() == "vary":
            fields = [field.strip().lower() for field in value.split(",")]
            if "cookie" in fields or "*" in fields:
                return headers
            headers[i] = (name, f"{value}, Cookie" if value.strip() else "Cookie")
            return headers
    headers.append(("Vary", "Cookie"))
    return headers
