"""``consentkit audit``: visit a site as a visitor would, before and after each choice.

The audit requests each page without consent, after "Continuer sans accepter" and,
when it has the signing key, after "Tout accepter", and reports what would track
the visitor when it shouldn't: a ``Set-Cookie`` of a cookie the choice doesn't
allow, a live tag of a vendor it doesn't allow. It also lists the cookies no
catalogue rule declares, with a suggested entry. It runs in CI, so it fails closed:

- a page that isn't a 2xx (after following the site's own redirects) can't be
  judged: an error page holds none of the page's tags, so it would pass for the
  wrong reason. It is an error of the audit, named with its status;
- a choice the site didn't honour is a failure: with a wrong key, a wrong cookie
  name or another catalogue, the site reads the audit's cookie as no consent at
  all, and "nothing leaks after refusing" proves nothing. The audit checks that
  after "Tout accepter" no tag is left neutralised and the tracker cookie it sends
  along is not deleted.

A target is an importable WSGI or ASGI app (``package.module:app``), called in
process with ``Host: localhost``, or a base URL (``http://127.0.0.1:8000``),
requested over HTTP.
"""

from __future__ import annotations

import importlib
import inspect
import sys
import traceback
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import IO, Any
from urllib.parse import urljoin, urlsplit

from consentkit._inspect import (
    WSGIResponse,
    call_asgi,
    call_wsgi,
    status_text,
    tracking_held_back,
    tracking_leaks,
)
from consentkit.catalogue import Catalogue
from consentkit.consent import Consent
from consentkit.cookies import parse_set_cookie
from consentkit.exceptions import ConfigurationError
from consentkit.gate import Gate
from consentkit.tokens import TokenSigner

__all__ = ["AuditReport", "audit", "load_target", "target_origin"]

Fetch = Callable[[str, str | None], WSGIResponse]

#: The ``Host`` an in-process app is called with. A fresh Django project accepts it
#: (``DEBUG`` allows ``localhost``, ``127.0.0.1`` and ``[::1]`` when ``ALLOWED_HOSTS``
#: is empty); ``testserver`` is only allowed under Django's test runner.
IN_PROCESS_HOST = "localhost"
IN_PROCESS_ORIGIN = f"http://{IN_PROCESS_HOST}"
#: Redirects followed from one page before the audit gives up on it.
MAX_REDIRECTS = 10
#: What the audit concludes when the site answered as if its consent cookie weren't there.
NOT_HONOURED = "the site did not honour the audit's consent: wrong key or catalogue?"
#: The value of the tracker cookie sent along with "Tout accepter" (see ``_probe``).
PROBE_VALUE = "consentkit-audit"

_REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass
class AuditReport:
    """What the audit found, page by page and choice by choice."""

    #: ``(choice, path, leak)``: something that tracks beyond the choice.
    leaks: list[tuple[str, str, str]] = field(default_factory=list)
    #: ``(choice, path, evidence)``: the site answered as if the choice weren't made.
    unhonoured: list[tuple[str, str, str]] = field(default_factory=list)
    #: ``(choice, path, why)``: a page the audit could not judge (not a 2xx, a
    #: redirect off the site, too many redirects).
    errors: list[tuple[str, str, str]] = field(default_factory=list)
    #: Cookie name → ``(path, Set-Cookie value)`` where no catalogue rule declares it.
    undeclared: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: ``(choice, path)`` pairs visited.
    visited: list[tuple[str, str]] = field(default_factory=list)
    #: The catalogue audited, for the entries suggested for undeclared cookies.
    catalogue: Catalogue | None = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        """Nothing leaked, every choice was honoured, and every page could be judged."""
        return not (self.leaks or self.unhonoured or self.errors)

    @property
    def exit_code(self) -> int:
        """0 when ok; 1 when something tracks or a choice wasn't honoured; 2 when
        nothing was found but some page could not be judged (so nothing is proved)."""
        if self.leaks or self.unhonoured:
            return 1
        return 2 if self.errors else 0

    def render(self) -> str:
        """The report as ``consentkit audit`` prints it, the verdict on the last line."""
        choices = len({choice for choice, _ in self.visited})
        lines = [f"visited {len(self.visited)} page(s) under {choices} choice(s)"]
        for choice, path, leak in self.leaks:
            lines.append(f"LEAK  [{choice}] {path}: {leak}")
        for choice, path, evidence in self.unhonoured:
            lines.append(f"NOT HONOURED  [{choice}] {path}: {evidence}")
        # The same error under every choice is said once, with the choices it met.
        errors: dict[tuple[str, str], list[str]] = {}
        for choice, path, why in self.errors:
            errors.setdefault((path, why), []).append(choice)
        for (path, why), under in errors.items():
            lines.append(f"ERROR  {path}: {why} (under {', '.join(under)})")
        for name, (path, value) in sorted(self.undeclared.items()):
            lines.append(f"UNDECLARED cookie {name!r} (set by {path}); suggested entry:")
            lines.extend("    " + line for line in suggest_rule(value, self.catalogue).splitlines())
        if self.leaks:
            lines.append(f"{len(self.leaks)} leak(s)")
        if self.unhonoured:
            lines.append(NOT_HONOURED)
        if self.errors:
            pages = len({path for _, path, _ in self.errors})
            lines.append(f"{pages} page(s) could not be audited: the audit judges 2xx pages only")
        if self.ok:
            lines.append("ok: nothing tracks before consent")
        return "\n".join(lines)


def audit(
    fetch: Fetch,
    catalogue: Catalogue,
    paths: Sequence[str],
    *,
    signer: TokenSigner | None = None,
    cookie_name: str = "consentkit",
    origin: str = IN_PROCESS_ORIGIN,
) -> AuditReport:
    """Request every path under every choice the audit can make, and judge each response.

    ``fetch(path, cookie)`` makes one request and follows no redirect: the audit
    follows them itself, judging every response on the way, as long as they stay
    under ``origin`` (the base URL, ``http://localhost`` in process).
    """
    choices: list[tuple[str, Consent | None]] = [("no consent", None)]
    if signer is not None:
        choices += [
            ("refuse_all", Consent.refuse_all(catalogue)),
            ("accept_all", Consent.accept_all(catalogue)),
        ]
    probe = _probe(catalogue)
    report = AuditReport(catalogue=catalogue)
    for label, consent in choices:
        cookie = None
        if signer is not None and consent is not None:
            cookie = f"{cookie_name}={signer.dumps(consent)}"
            if probe is not None and Gate(catalogue, consent).verdict(probe) == "allow":
                cookie += f"; {probe}={PROBE_VALUE}"
        for path in paths:
            report.visited.append((label, path))
            _visit(report, fetch, catalogue, origin, label, consent, path, cookie)
    return report


def _probe(catalogue: Catalogue) -> str | None:
    """A tracker cookie to send along with a choice that allows it.

    The middleware expires every tracker cookie a request carries that its consent
    denies. If the site deletes this one after "Tout accepter", it read the audit's
    consent cookie as no consent: that shows a wrong key even on pages without tags.
    """
    refused = Gate(catalogue, Consent.refuse_all(catalogue))
    for rule in catalogue.cookies:
        literal = not any(c in rule.name for c in "*?[")
        if rule.storage == "cookie" and literal and refused.verdict(rule.name) == "deny":
            return rule.name
    return None


def _visit(
    report: AuditReport,
    fetch: Fetch,
    catalogue: Catalogue,
    origin: str,
    label: str,
    consent: Consent | None,
    path: str,
    cookie: str | None,
) -> None:
    """Fetch one page under one choice, following its redirects, and judge each response."""
    url = path
    for _ in range(MAX_REDIRECTS + 1):
        response = fetch(url, cookie)
        _judge(report, catalogue, label, consent, url, response)
        code = response.status_code
        status = status_text(code)
        if code in _REDIRECTS:
            location = next((v for k, v in response.headers if k.lower() == "location"), None)
            target = _on_site(origin, url, location) if location else None
            if target is None:
                why = (
                    f", a redirect off the site to {location}"
                    if location
                    else " without a Location"
                )
                report.errors.append((label, path, status + why))
                return
            url = target
            continue
        if not 200 <= code < 300:
            after = f" at {url}, after a redirect" if url != path else ""
            report.errors.append((label, path, status + after + _hint(code, origin)))
        return
    report.errors.append((label, path, f"more than {MAX_REDIRECTS} redirects"))


def _hint(code: int, origin: str) -> str:
    if code == 400 and origin == IN_PROCESS_ORIGIN:
        # Django's answer to a Host outside ALLOWED_HOSTS (DisallowedHost).
        return f" (Django: is {IN_PROCESS_HOST!r} in ALLOWED_HOSTS?)"
    return ""


def _judge(
    report: AuditReport,
    catalogue: Catalogue,
    label: str,
    consent: Consent | None,
    path: str,
    response: WSGIResponse,
) -> None:
    for leak in tracking_leaks(response, catalogue, consent):
        report.leaks.append((label, path, leak))
    if consent is not None:
        for evidence in tracking_held_back(response, catalogue, consent):
            report.unhonoured.append((label, path, evidence))
    for name, value in response.headers:
        parsed = parse_set_cookie(value) if name.lower() == "set-cookie" else None
        if parsed is not None and catalogue.rule_for(parsed.name) is None:
            report.undeclared.setdefault(parsed.name, (path, value))


def _on_site(origin: str, current: str, location: str) -> str | None:
    """The path to fetch for a redirect, or ``None`` when it leaves ``origin``."""
    absolute, base = urlsplit(urljoin(origin + current, location)), urlsplit(origin)
    if (absolute.scheme, absolute.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return None
    prefix = base.path.rstrip("/")
    if absolute.path != prefix and not absolute.path.startswith(prefix + "/"):
        return None
    path = absolute.path[len(prefix) :] or "/"
    return f"{path}?{absolute.query}" if absolute.query else path


def suggest_rule(set_cookie: str, catalogue: Catalogue | None = None) -> str:
    """A catalogue entry to start from, for a cookie no rule declares.

    The audit sees only the ``Set-Cookie`` headers of the site's own responses, so the
    cookie is the site's: the entry names a purpose (the catalogue's strictly necessary
    one when it has one), not a vendor, which would show the site as its own partner.
    """
    cookie = parse_set_cookie(set_cookie)
    if cookie is None:
        raise ValueError(f"not a Set-Cookie value: {set_cookie!r}")
    duration = "session"
    if cookie.max_age is not None and cookie.max_age > 0:
        days = cookie.max_age / 86400
        duration = f"{round(days / 30)} months" if days >= 60 else f"{max(1, round(days))} days"
    elif cookie.expires:
        duration = "(-)"  # an Expires date: check the real lifetime
    essential = [p.id for p in catalogue.purposes if p.essential] if catalogue else []
    purpose = essential[0] if essential else "TODO"
    languages = catalogue.all_languages if catalogue else ("en",)
    return "\n".join(
        [
            "[[cookies]]",
            f'name = "{cookie.name}"',
            f'purposes = ["{purpose}"]  # what it is for; a vendor only if a partner sets it',
            f'duration = "{duration}"',
            *(f'description.{lang} = "TODO: what it is for"' for lang in languages),
        ]
    )


def target_origin(target: str) -> str:
    """The URL a target's paths are relative to: the base URL, or ``http://localhost``."""
    if target.startswith(("http://", "https://")):
        return target.rstrip("/")
    return IN_PROCESS_ORIGIN


def load_target(target: str, *, headers: dict[str, str] | None = None) -> Fetch:
    """A fetch function for ``module:app`` (in process) or an ``http(s)://`` base URL.

    Neither follows redirects: :func:`audit` does. In process, the app is called
    with ``Host: localhost`` unless ``headers`` give another.
    """
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
    sent = {"host": IN_PROCESS_HOST, **(headers or {})}
    call = call_asgi if _is_asgi(app) else call_wsgi

    def fetch(path: str, cookie: str | None) -> WSGIResponse:
        try:
            response: WSGIResponse = call(app, path, cookie=cookie, headers=sent)
        except Exception:
            # The app's own bug: a server would log it and answer 500, and so does the
            # audit, so the page is named as an error and the others are still judged.
            traceback.print_exc()
            return WSGIResponse(500, [], b"")
        return response

    return fetch


def _is_asgi(app: Any) -> bool:
    # An ASGI app is a coroutine function, or an object whose __call__ is one.
    return inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(
        getattr(app, "__call__", None)  # noqa: B004
    )


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand redirects back as responses: the audit follows them itself, judging each."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def _http(base: str, headers: dict[str, str]) -> Fetch:
    opener = urllib.request.build_opener(_NoRedirect)

    def fetch(path: str, cookie: str | None) -> WSGIResponse:
        request = urllib.request.Request(base + path, headers=dict(headers))  # noqa: S310
        if cookie is not None:
            request.add_header("Cookie", cookie)
        try:
            with opener.open(request, timeout=30) as response:
                return WSGIResponse(
                    response.status, list(response.headers.items()), response.read()
                )
        except urllib.error.HTTPError as error:
            return WSGIResponse(error.code, list(error.headers.items()), error.read())
        except urllib.error.URLError as error:
            raise ConfigurationError(f"can't reach {base + path}: {error.reason}") from None

    return fetch
