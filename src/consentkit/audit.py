"""``consentkit audit``: visit a site as a visitor would, before and after each choice.

The audit requests each page without consent, after "Continuer sans accepter" and,
when it has the signing key, after "Tout accepter", and reports what would track
the visitor when it shouldn't: a ``Set-Cookie`` of a cookie the choice doesn't
allow, a live tag of a vendor it doesn't allow. It also lists the cookies no
catalogue rule declares, with a suggested entry. It runs in CI: any leak is a
failure.

A target is an importable WSGI or ASGI app (``package.module:app``), called in
process, or a base URL (``http://127.0.0.1:8000``), requested over HTTP.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from consentkit.catalogue import Catalogue
from consentkit.consent import Consent
from consentkit.cookies import parse_set_cookie
from consentkit.exceptions import ConfigurationError
from consentkit.testing import WSGIResponse, call_asgi, call_wsgi, tracking_leaks
from consentkit.tokens import TokenSigner

__all__ = ["AuditReport", "audit", "load_target"]

Fetch = Callable[[str, str | None], WSGIResponse]


@dataclass
class AuditReport:
    """What the audit found, page by page and choice by choice."""

    #: ``(choice, path, leak)``: something that tracks beyond the choice.
    leaks: list[tuple[str, str, str]] = field(default_factory=list)
    #: Cookie name → ``(path, Set-Cookie value)`` where no catalogue rule declares it.
    undeclared: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: ``(choice, path)`` pairs visited.
    visited: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.leaks

    def render(self) -> str:
        choices = len({choice for choice, _ in self.visited})
        lines = [f"visited {len(self.visited)} page(s) under {choices} choice(s)"]
        for choice, path, leak in self.leaks:
            lines.append(f"LEAK  [{choice}] {path}: {leak}")
        for name, (path, value) in sorted(self.undeclared.items()):
            lines.append(f"UNDECLARED cookie {name!r} (set by {path}); suggested entry:")
            lines.extend("    " + line for line in suggest_rule(value).splitlines())
        lines.append(
            "ok: nothing tracks before consent" if self.ok else f"{len(self.leaks)} leak(s)"
        )
        return "\n".join(lines)


def audit(
    fetch: Fetch,
    catalogue: Catalogue,
    paths: Sequence[str],
    *,
    signer: TokenSigner | None = None,
    cookie_name: str = "consentkit",
) -> AuditReport:
    """Request every path under every choice the audit can make, and judge each response."""
    choices: list[tuple[str, Consent | None]] = [("no consent", None)]
    if signer is not None:
        choices += [
            ("refuse_all", Consent.refuse_all(catalogue)),
            ("accept_all", Consent.accept_all(catalogue)),
        ]
    report = AuditReport()
    for label, consent in choices:
        cookie = f"{cookie_name}={signer.dumps(consent)}" if signer and consent else None
        for path in paths:
            response = fetch(path, cookie)
            report.visited.append((label, path))
            for leak in tracking_leaks(response, catalogue, consent):
                report.leaks.append((label, path, leak))
            for name, value in response.headers:
                parsed = parse_set_cookie(value) if name.lower() == "set-cookie" else None
                if parsed is not None and catalogue.rule_for(parsed.name) is None:
                    report.undeclared.setdefault(parsed.name, (path, value))
    return report


def suggest_rule(set_cookie: str) -> str:
    """A catalogue entry to start from, for a cookie no rule declares."""
    cookie = parse_set_cookie(set_cookie)
    if cookie is None:
        raise ValueError(f"not a Set-Cookie value: {set_cookie!r}")
    duration = "session"
    if cookie.max_age is not None and cookie.max_age > 0:
        days = cookie.max_age / 86400
        duration = f"{round(days / 30)} months" if days >= 60 else f"{max(1, round(days))} days"
    elif cookie.expires:
        duration = "(-)"  # an Expires date: check the real lifetime
    return "\n".join(
        [
            "[[cookies]]",
            f'name = "{cookie.name}"',
            'vendor = "TODO"  # who sets it',
            f'duration = "{duration}"',
            'description.en = "TODO: what it is for"',
        ]
    )


def load_target(target: str, *, headers: dict[str, str] | None = None) -> Fetch:
    """A fetch function for ``module:app`` (in process) or an ``http(s)://`` base URL."""
    if target.startswith(("http://", "https://")):
        return _http(target.rstrip("/"), headers or {})
    module_name, _, attribute = target.partition(":")
    if not attribute:
        raise ConfigurationError(f"{target!r}: give a URL, or an app as package.module:attribute")
    sys.path.insert(0, ".")
    try:
        app: Any = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"can't import {target!r}: {exc}") from None
    if _is_asgi(app):
        return lambda path, cookie: call_asgi(app, path, cookie=cookie, headers=headers)
    return lambda path, cookie: call_wsgi(app, path, cookie=cookie, headers=headers)


def _is_asgi(app: Any) -> bool:
    # An ASGI app is a coroutine function, or an object whose __call__ is one.
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(
        getattr(app, "__call__", None)  # noqa: B004
    )


def _http(base: str, headers: dict[str, str]) -> Fetch:
    def fetch(path: str, cookie: str | None) -> WSGIResponse:
        request = urllib.request.Request(base + path, headers=dict(headers))  # noqa: S310
        if cookie is not None:
            request.add_header("Cookie", cookie)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return WSGIResponse(
                    response.status, list(response.headers.items()), response.read()
                )
        except urllib.error.HTTPError as error:
            return WSGIResponse(error.code, list(error.headers.items()), error.read())
        except urllib.error.URLError as error:
            raise ConfigurationError(f"can't reach {base + path}: {error.reason}") from None

    return fetch
