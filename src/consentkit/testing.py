"""Helpers for a site's own test suite: forge consent cookies, assert nothing leaks.

.. code-block:: python

    from consentkit.testing import (
        assert_no_tracking,
        assert_tracking_allowed,
        consent_cookie_header,
    )

    def test_no_ga_before_consent(client):
        assert_no_tracking(client.get("/"), config.catalogue)

    def test_ga_after_accept(client):
        response = client.get("/", headers={"Cookie": consent_cookie_header(config)})
        assert_tracking_allowed(response, config.catalogue, vendors=["google-analytics"])

The assertions read any response people test with, without importing a framework:
Django's and Flask's test client responses, ``httpx``/Starlette ``TestClient``
responses, a :class:`WSGIResponse` from :func:`call_wsgi` or :func:`call_asgi`, or a
plain ``(status, headers, body)`` tuple. They judge the response the browser would
get: the ``Set-Cookie`` headers it would store, and the tags in the HTML it would
load or run, recognised by the catalogue's vendor patterns as the middleware does.
The assertions judge only a 2xx response unless told otherwise (``status=``): an error
page (Django's 400 for a Host it doesn't allow, a 404) holds none of the page's tags,
so it would pass for the wrong reason.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from datetime import UTC, datetime, timedelta

from consentkit._inspect import (
    WSGIResponse,
    call_asgi,
    call_wsgi,
    status_of,
    status_text,
    tracking_held_back,
    tracking_leaks,
)
from consentkit.catalogue import Catalogue
from consentkit.config import ConsentConfig
from consentkit.consent import Action, Consent

__all__ = [
    "WSGIResponse",
    "assert_no_tracking",
    "assert_tracking_allowed",
    "call_asgi",
    "call_wsgi",
    "consent_cookie_header",
    "make_consent",
    "tracking_held_back",
    "tracking_leaks",
]

# --- Consent cookies ------------------------------------------------------------------


def make_consent(
    catalogue: Catalogue | ConsentConfig,
    action: Action | str = "accept_all",
    *,
    purposes: Iterable[str] = (),
    vendors: Iterable[str] | None = None,
    expired: bool = False,
    revision: str | None = None,
) -> Consent:
    """A :class:`~consentkit.Consent` for a choice, as the banner would record it.

    :param purposes: for ``action="custom"``: the purposes granted.
    :param vendors: for ``action="custom"``: the vendors granted; by default every
        vendor whose purposes are all granted.
    :param expired: decided long enough ago to be past its expiry.
    :param revision: given under another catalogue revision: a stale consent.
    :raises ChoiceError: for an unknown action, purpose or vendor.
    """
    cat = catalogue.catalogue if isinstance(catalogue, ConsentConfig) else catalogue
    # Two years back is past any expiry policy's limit, and a token keeps seconds only.
    now = datetime.now(UTC) - timedelta(days=730) if expired else None
    if revision is not None:
        # The same catalogue under another revision: what a visitor who chose before the
        # policy changed still holds. model_validate checks it as loading a file would.
        cat = Catalogue.model_validate({**cat.model_dump(), "revision": revision})
    return Consent.from_choice(cat, action, purposes=purposes, vendors=vendors, now=now)


def consent_cookie_header(
    config: ConsentConfig,
    action: Action | str | Consent = "accept_all",
    *,
    purposes: Iterable[str] = (),
    vendors: Iterable[str] | None = None,
    expired: bool = False,
    revision: str | None = None,
) -> str:
    """A ``Cookie`` header fragment, ``consentkit=<token>``, signed with ``config``'s key.

    Send it as a request's ``Cookie`` header (or join it to others with ``"; "``): the
    middleware reads it exactly as a browser's after the visitor chose. ``action`` is
    ``"accept_all"``, ``"refuse_all"``, ``"custom"`` (with ``purposes``/``vendors``), or
    a ready :class:`~consentkit.Consent`. ``expired=True`` and ``revision=`` make
    cookies the middleware must treat as no consent at all.

    (:func:`consentkit.cookies.consent_cookie` is another thing: the ``Set-Cookie``
    value the server sends. The pytest fixture ``consentkit_cookie_header`` is this
    function bound to the site's configuration.)
    """
    if isinstance(action, Consent):
        consent = action
    else:
        consent = make_consent(
            config.catalogue,
            action,
            purposes=purposes,
            vendors=vendors,
            expired=expired,
            revision=revision,
        )
    return f"{config.cookie_name}={config.signer.dumps(consent)}"


def _who(consent: Consent | None) -> str:
    return "without consent" if consent is None else f"under consent {consent.action.value!r}"


def _require_status(response: object, status: int | Container[int] | None) -> None:
    """Fail unless the response's status is the one the test means to judge.

    An error page holds none of the page's tags, so "nothing tracks" would pass for
    the wrong reason (Django answers 400 to a ``Host`` it doesn't allow): by default
    only a 2xx is judged.
    """
    code = status_of(response)
    if status is None:
        if 200 <= code < 300:
            return
        raise AssertionError(
            f"the response is a {status_text(code)}, not a 2xx: it isn't the page under "
            f"test (pass status={code} to judge it all the same)"
        )
    if code == status if isinstance(status, int) else code in status:
        return
    wanted = status if isinstance(status, int) else f"one of {status!r}"
    raise AssertionError(f"the response is a {status_text(code)}, not {wanted}")


def assert_no_tracking(
    response: object,
    catalogue: Catalogue | ConsentConfig,
    consent: Consent | None = None,
    *,
    strict: bool = False,
    status: int | Container[int] | None = None,
) -> None:
    """Fail, naming each leak, when ``response`` tracks beyond what ``consent`` allows.

    ``consent=None`` (the default) is a first visit: only essential vendors and
    cookies may appear. See :func:`tracking_leaks` for what counts.

    :param status: the status the response must have: a code, or a container of
        codes (``range(400, 500)``). By default any 2xx, and anything else fails,
        since an error page passes for the wrong reason.
    :raises AssertionError: for another status, or listing every leak, one per line.
    """
    _require_status(response, status)
    leaks = tracking_leaks(response, catalogue, consent, strict=strict)
    if leaks:
        count = f"{len(leaks)} tracking leak{'s' if len(leaks) > 1 else ''}"
        raise AssertionError(
            f"{count} {_who(consent)}:\n" + "\n".join(f"  - {leak}" for leak in leaks)
        )


def assert_tracking_allowed(
    response: object,
    catalogue: Catalogue | ConsentConfig,
    consent: Consent | None = None,
    *,
    vendors: Iterable[str] = (),
    status: int | Container[int] | None = None,
) -> None:
    """Fail when ``response`` holds back what ``consent`` allows: the opposite check.

    It fails for a tag of an allowed vendor left neutralised, for a ``Set-Cookie``
    deleting an allowed cookie, and for each of ``vendors`` that has no tag that would
    load or run in the page ("GA is live after Tout accepter"). ``consent=None``
    means "everything accepted". See :func:`tracking_held_back` for what counts.

    :param status: the status the response must have, as for :func:`assert_no_tracking`.
    :raises AssertionError: for another status, or listing every problem, one per line.
    """
    _require_status(response, status)
    cat = catalogue.catalogue if isinstance(catalogue, ConsentConfig) else catalogue
    if consent is None:
        consent = Consent.accept_all(cat)
    problems = tracking_held_back(response, cat, consent, vendors=vendors)
    if problems:
        count = f"{len(problems)} problem{'s' if len(problems) > 1 else ''}"
        raise AssertionError(
            f"{count} {_who(consent)}:\n" + "\n".join(f"  - {p}" for p in problems)
        )
