"""The consent endpoints under the mount path, sans I/O.

WSGI and ASGI hand over an :class:`EndpointRequest` and send back the
:class:`EndpointResponse`, so both serve identical bytes. The contract
(DESIGN.md, "HTTP contract"):

- ``GET  /_consentkit/consent``: the current consent (or null) and the localised catalogue.
- ``POST /_consentkit/consent``: record a choice, JSON or form; sets the token cookie and
  deletes the tracker cookies the new choice denies. A form post answers 303 to a
  same-origin ``next``.
- ``DELETE /_consentkit/consent`` (or a form with ``action=withdraw``): withdraw.
- ``GET  /_consentkit/proof``: the visitor's own records in the ledger, found by the
  consent id of their verified token (never by a parameter), with what they were shown.

With a ledger configured, a decision is recorded before its cookie is set, and the
receipt (sequence number, chain hash) comes back in the JSON and in a
``Consentkit-Receipt`` header. When the ledger can't write, an acceptance gets a
503 and no cookie (consent without proof is not consent); a refusal or a withdrawal
is honoured at once and its record spooled on this server's disk for later.

Cross-site writes are refused (403): a third-party page must not be able to
record a choice for the visitor, so the browser's ``Sec-Fetch-Site`` and
``Origin`` are checked. Requests without either (curl, old browsers) are let
through: without a browser's ambient cookies there is nothing to forge.
"""

from __future__ import annotations

import hashlib
import json
import logging
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from consentkit.banner import ASSETS
from consentkit.consent import Consent
from consentkit.cookies import SetCookie, consent_cookie, cookie_names, expire_cookie
from consentkit.exceptions import ChoiceError, LedgerError
from consentkit.gate import Gate
from consentkit.rewrite import stale_cookie_deletions

if TYPE_CHECKING:
    from consentkit.engine import Engine
    from consentkit.ledger import Ledger, Notice, Receipt

__all__ = ["EndpointRequest", "EndpointResponse", "handle"]

logger = logging.getLogger("consentkit.ledger")

#: The response header that carries a ledger receipt.
RECEIPT_HEADER = "Consentkit-Receipt"
_JSON_TYPES = ("application/json",)
#: What a JSON client may say about itself; the banner says where in it the choice was made.
#: The ledger's ``SOURCES`` but ``form`` (a test keeps them so): named here, so that a
#: site without a ledger never loads it.
_JSON_SOURCES = ("banner_first_layer", "banner_customise", "api")
_FORM_TYPES = ("application/x-www-form-urlencoded",)
_MAX_FIELDS = 500


@dataclass(frozen=True, slots=True)
class EndpointRequest:
    """A request under the mount path, its body read (at most ``max_body + 1`` bytes)."""

    method: str
    #: The path below the mount path: ``"/consent"``.
    path: str
    query: str
    #: Header names lower-cased.
    headers: Mapping[str, str]
    body: bytes
    scheme: str
    host: str
    consent: Consent | None
    #: The peer's address, for a ledger that seals the visitor's network; ``None`` unknown.
    client: str | None = None


@dataclass(slots=True)
class EndpointResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


class _BadRequest(Exception):
    def __init__(self, status: int, error: str, field: str | None = None) -> None:
        super().__init__(error)
        self.status, self.error, self.field = status, error, field


def handle(engine: Engine, request: EndpointRequest) -> EndpointResponse:
    """Answer a request under the mount path."""
    methods = _ROUTES.get(request.path)
    if methods is None:
        return _json(404, {"error": f"no endpoint {request.path!r}", "field": None})
    if request.method == "HEAD" and "GET" in methods:
        response = methods["GET"](engine, request)
        response.body = b""  # the headers of a GET, Content-Length included
        return response
    handler = methods.get(request.method)
    if handler is None:
        response = _json(405, {"error": f"method {request.method} not allowed", "field": None})
        response.headers.append(("Allow", ", ".join(methods)))
        return response
    try:
        return handler(engine, request)
    except _BadRequest as exc:
        return _json(exc.status, {"error": exc.error, "field": exc.field})


Handler = Callable[["Engine", EndpointRequest], EndpointResponse]


def _get_consent(engine: Engine, request: EndpointRequest) -> EndpointResponse:
    lang = _language(engine, request)
    consent = request.consent
    return _json(
        200,
        {
            "consent": consent.to_json() if consent else None,
            "catalogue": engine.public_catalogue(lang),
        },
    )


def _post_consent(engine: Engine, request: EndpointRequest) -> EndpointResponse:
    _check_same_origin(request)
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    is_form = content_type in _FORM_TYPES
    _check_size(engine, request)
    fields: dict[str, list[str]] = {}
    source, language = "form", None
    if is_form:
        fields = _form(request.body)
        action = _one(fields, "action")
        purposes: list[str] | None = fields.get("purposes", [])
        vendors = fields.get("vendors")
        if action == "withdraw":
            receipt = _record_withdrawal(engine, request, "form", None)
            return _redirect(fields, _receipt_headers(receipt, engine, request))
    elif content_type in _JSON_TYPES:
        action, purposes, vendors, source, language = _json_choice(request.body)
    else:
        raise _BadRequest(
            415, "send application/json or application/x-www-form-urlencoded", "Content-Type"
        )
    try:
        consent = Consent.from_choice(
            engine.catalogue, action, purposes=purposes or (), vendors=vendors
        )
    except ChoiceError as exc:
        raise _BadRequest(400, str(exc), exc.field) from None
    tc = engine.config.tcf.tc_string(consent) if engine.config.tcf is not None else None
    receipt = _record(engine, request, consent, source, language, tc)
    headers = _decision_headers(engine, request, consent, tc)
    if receipt is not None:
        headers.append((RECEIPT_HEADER, receipt.header()))
    if is_form:
        return _redirect(fields, headers)
    payload: dict[str, Any] = {"consent": consent.to_json()}
    if receipt is not None:
        payload["receipt"] = receipt.to_json()
    response = _json(200, payload)
    response.headers.extend(headers)
    return response


def _delete_consent(engine: Engine, request: EndpointRequest) -> EndpointResponse:
    _check_same_origin(request)
    source = "api"
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in _JSON_TYPES and request.body.strip():
        # The banner may say where the visitor withdrew; nothing else is read here.
        _, _, _, source, _ = _json_choice(request.body, withdrawal=True)
    receipt = _record_withdrawal(engine, request, source, None)
    payload: dict[str, Any] = {"consent": None}
    if receipt is not None:
        payload["receipt"] = receipt.to_json()
    response = _json(200, payload)
    response.headers.extend(_receipt_headers(receipt, engine, request))
    return response


def _get_proof(engine: Engine, request: EndpointRequest) -> EndpointResponse:
    ledger = _ledger(engine)
    if ledger is None:
        return _json(404, {"error": "this site keeps no consent ledger", "field": None})
    consent = request.consent
    if consent is None:
        return _json(404, {"error": "this browser holds no valid consent", "field": None})
    try:
        proof = ledger.proof(consent.id)
        checkpoints = ledger.checkpoints()
    except LedgerError as exc:
        logger.error("ledger: proof of a visitor's consent failed: %s", exc)
        return _json(503, {"error": "the consent ledger is unavailable", "field": None})
    from consentkit.ledger._proof import proof_json

    return _json(200, proof_json(proof, checkpoints))


# -- the ledger -------------------------------------------------------------------

_NOTICES: weakref.WeakKeyDictionary[Engine, dict[str, Notice]] = weakref.WeakKeyDictionary()


class _Unrecorded(_BadRequest):
    def __init__(self) -> None:
        super().__init__(
            503,
            "the consent ledger can't record this choice now; nothing was changed: try again",
            None,
        )


def _ledger(engine: Engine) -> Ledger | None:
    return engine.config.ledger


def _notice(engine: Engine, lang: str) -> Notice:
    """What a visitor sees in ``lang``: the banner's catalogue, texts and files."""
    from consentkit.ledger import Notice

    notices = _NOTICES.setdefault(engine, {})
    notice = notices.get(lang)
    if notice is None:
        notice = notices[lang] = Notice.of(
            {
                "catalogue": engine.public_catalogue(lang),
                "assets": {
                    name: hashlib.sha256(asset.body).hexdigest() for name, asset in ASSETS.items()
                },
            }
        )
    return notice


def _record(
    engine: Engine,
    request: EndpointRequest,
    consent: Consent | None,
    source: str,
    language: str | None,
    tc: str | None,
    *,
    withdrawn: str | None = None,
) -> Receipt | None:
    """Write the decision to the ledger, or spool it, or refuse it (503)."""
    ledger = _ledger(engine)
    if ledger is None:
        return None
    from consentkit.ledger._records import truncate_ip

    if language not in engine.catalogue.all_languages:
        language = _language(engine, request)
    lang = language
    account = engine.config.ledger_account
    entry = ledger.entry(
        engine.catalogue,
        consent,
        withdrawn=withdrawn,
        replaces=request.consent.id if request.consent is not None and consent else None,
        language=lang,
        source=source,
        notice=_notice(engine, lang),
        tc_string=tc,
        personal={
            "user_agent": request.headers.get("user-agent"),
            "ip": truncate_ip(request.client) if request.client else None,
            "account": account(request.headers) if account is not None else None,
        }
        if ledger.personal
        else None,
    )
    try:
        return ledger.append(entry)
    except LedgerError as exc:
        if consent is not None and not consent.is_refusal:
            logger.error("ledger: a consent was refused with 503, it can't be recorded: %s", exc)
            raise _Unrecorded() from None
        logger.warning("ledger: unavailable (%s); a refusal or withdrawal is spooled", exc)
    try:
        return ledger.spool_entry(entry)
    except LedgerError as exc:
        # The visitor's "no" is honoured all the same: it protects them. Its proof is
        # what is lost, and that must not pass quietly.
        logger.critical("ledger: a refusal or withdrawal could not even be spooled: %s", exc)
        return None


def _record_withdrawal(
    engine: Engine, request: EndpointRequest, source: str, language: str | None
) -> Receipt | None:
    if request.consent is None:
        return None  # nothing to withdraw, so nothing to prove
    return _record(engine, request, None, source, language, None, withdrawn=request.consent.id)


def _receipt_headers(
    receipt: Receipt | None, engine: Engine, request: EndpointRequest
) -> list[tuple[str, str]]:
    headers = _withdrawal_headers(engine, request)
    if receipt is not None:
        headers.append((RECEIPT_HEADER, receipt.header()))
    return headers


def _decision_headers(
    engine: Engine, request: EndpointRequest, consent: Consent, tc: str | None
) -> list[tuple[str, str]]:
    config = engine.config
    max_age = max(0, int((consent.expires_at - datetime.now(UTC)).total_seconds()))
    cookie = consent_cookie(
        config.cookie_name,
        config.signer.dumps(consent),
        max_age=max_age,
        secure=config.cookie_secure,
        domain=config.cookie_domain,
    )
    headers = [("Set-Cookie", cookie)]
    if config.tcf is not None and tc is not None:
        # Read by the page's __tcfapi and by vendors' scripts: not HttpOnly.
        tc_cookie = SetCookie(
            config.tcf.cookie_name,
            tc,
            domain=config.cookie_domain,
            path="/",
            max_age=max_age,
            secure=config.cookie_secure,
            same_site="Lax",
        )
        headers.append(("Set-Cookie", tc_cookie.serialize()))
    return [*headers, *_deletions(engine, request, Gate(engine.catalogue, consent))]


def _withdrawal_headers(engine: Engine, request: EndpointRequest) -> list[tuple[str, str]]:
    config = engine.config
    expired = expire_cookie(
        config.cookie_name, domain=config.cookie_domain, secure=config.cookie_secure
    )
    headers = [("Set-Cookie", expired)]
    if config.tcf is not None:
        tc_expired = expire_cookie(
            config.tcf.cookie_name, domain=config.cookie_domain, secure=config.cookie_secure
        )
        headers.append(("Set-Cookie", tc_expired))
    return [*headers, *_deletions(engine, request, Gate(engine.catalogue, None))]


def _deletions(engine: Engine, request: EndpointRequest, gate: Gate) -> list[tuple[str, str]]:
    names = cookie_names(request.headers.get("cookie", ""))
    keep = engine.own_cookies
    return [("Set-Cookie", v) for v in stale_cookie_deletions(names, gate, request.host, keep=keep)]


def _check_same_origin(request: EndpointRequest) -> None:
    site = request.headers.get("sec-fetch-site", "").lower()
    if site == "cross-site":
        raise _BadRequest(403, "cross-site requests can't record a choice", "Sec-Fetch-Site")
    origin = request.headers.get("origin")
    if origin is not None and _authority(urlsplit(origin).netloc) != _authority(request.host):
        raise _BadRequest(403, f"origin {origin!r} is not this site", "Origin")


def _authority(netloc: str) -> str:
    """Host and non-default port, lower-cased.

    The scheme is left out on purpose: behind a TLS-terminating proxy the app sees
    http while the browser's Origin says https, for the very same site.
    """
    netloc = netloc.strip().lower()
    for default in (":80", ":443"):
        netloc = netloc.removesuffix(default)
    return netloc


def _check_size(engine: Engine, request: EndpointRequest) -> None:
    if len(request.body) > engine.config.max_body:
        raise _BadRequest(413, f"body over {engine.config.max_body} bytes", None)


def _form(body: bytes) -> dict[str, list[str]]:
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(
            text, keep_blank_values=True, strict_parsing=False, max_num_fields=_MAX_FIELDS
        )
    except (UnicodeDecodeError, ValueError):
        raise _BadRequest(400, "the form is not valid UTF-8 url-encoded data", None) from None
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


def _one(fields: Mapping[str, list[str]], name: str) -> str:
    values = fields.get(name)
    if not values:
        raise _BadRequest(400, f"missing {name!r}", name)
    if len(values) > 1:
        raise _BadRequest(400, f"{name!r} given {len(values)} times", name)
    return values[0]


def _json_choice(
    body: bytes, *, withdrawal: bool = False
) -> tuple[str, list[str] | None, list[str] | None, str, str | None]:
    """``(action, purposes, vendors, source, language)`` from a JSON body.

    ``source`` (where the choice was made) and ``language`` (of the banner shown)
    are optional: the banner sends them for the ledger; other clients are ``"api"``.
    A withdrawal's body may only carry those two.
    """
    try:
        data: Any = json.loads(body)
    except (ValueError, RecursionError):
        raise _BadRequest(400, "the body is not valid JSON", None) from None
    if not isinstance(data, dict):
        raise _BadRequest(400, "the body must be a JSON object", None)
    allowed = {"source", "language"} if withdrawal else {"action", "purposes", "vendors"}
    unknown = sorted(set(data) - allowed - {"source", "language"})
    if unknown:
        raise _BadRequest(400, f"unknown field {unknown[0]!r}", unknown[0])
    source = data.get("source", "api")
    if source not in _JSON_SOURCES:
        raise _BadRequest(400, f"'source' must be one of {', '.join(_JSON_SOURCES)}", "source")
    language = data.get("language")
    if language is not None and not isinstance(language, str):
        raise _BadRequest(400, "'language' must be a language code", "language")
    if withdrawal:
        return "withdraw", None, None, source, language
    action = data.get("action")
    if not isinstance(action, str):
        raise _BadRequest(
            400, "'action' must be one of 'accept_all', 'refuse_all', 'custom'", "action"
        )
    return action, _id_list(data, "purposes"), _id_list(data, "vendors"), source, language


def _id_list(data: Mapping[str, Any], name: str) -> list[str] | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _BadRequest(400, f"{name!r} must be a list of ids", name)
    return value


def _language(engine: Engine, request: EndpointRequest) -> str:
    asked = dict(parse_qsl(request.query)).get("lang")
    if asked in engine.catalogue.all_languages:
        return asked
    return engine.language(request.headers.get("accept-language"))


def _asset(name: str) -> Callable[[Engine, EndpointRequest], EndpointResponse]:
    def serve(engine: Engine, request: EndpointRequest) -> EndpointResponse:
        asset = ASSETS.get(name)
        if asset is None:
            return _json(404, {"error": f"{name} is not installed", "field": None})
        # The loader's URLs carry the content's digest: such a URL never changes meaning.
        versioned = dict(parse_qsl(request.query)).get("v") == asset.version
        cache = "public, max-age=31536000, immutable" if versioned else "public, max-age=3600"
        headers = [("ETag", asset.etag), ("Cache-Control", cache)]
        if asset.etag in request.headers.get("if-none-match", ""):
            return EndpointResponse(304, headers)
        headers += [("Content-Type", asset.content_type), ("Content-Length", str(len(asset.body)))]
        return EndpointResponse(200, headers, asset.body)

    return serve


_ROUTES: dict[str, dict[str, Handler]] = {
    "/consent": {"GET": _get_consent, "POST": _post_consent, "DELETE": _delete_consent},
    "/proof": {"GET": _get_proof},
    "/banner.js": {"GET": _asset("banner.js")},
    "/banner.css": {"GET": _asset("banner.css")},
    "/consent-mode.js": {"GET": _asset("consent-mode.js")},
    "/tcfapi.js": {"GET": _asset("tcfapi.js")},
}


def _redirect(fields: Mapping[str, list[str]], headers: list[tuple[str, str]]) -> EndpointResponse:
    target = (fields.get("next") or ["/"])[0]
    if not _is_local(target):
        target = "/"
    return EndpointResponse(
        303, [("Location", target), ("Cache-Control", "no-store"), *headers], b""
    )


def _is_local(target: str) -> bool:
    """Whether ``next`` is a path on this site: no scheme, no host, no trick."""
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(char) < 0x21 or char == "\\" for char in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def _json(status: int, payload: object) -> EndpointResponse:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return EndpointResponse(
        status,
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
        ],
        body,
    )
