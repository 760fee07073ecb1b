"""The pipeline, built once: request cookie → token → Consent → Gate → response rewriting.

:class:`Engine` is immutable and shared by every request; the WSGI and ASGI
middleware only translate their I/O into its calls, so the two can't drift.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from consentkit.banner import (
    HeadInjector,
    consent_mode_state,
    csp_nonce,
    is_crawler,
    loader,
    negotiate_language,
    texts,
)
from consentkit.catalogue import Catalogue
from consentkit.config import ConsentConfig
from consentkit.consent import Consent
from consentkit.cookies import cookie_names, get_cookie
from consentkit.gate import Gate
from consentkit.html import HtmlRewriter, VendorDetector, VendorSignature
from consentkit.rewrite import (
    add_vary_cookie,
    filter_set_cookies,
    is_rewritable,
    stale_cookie_deletions,
)

__all__ = ["CONSENT_KEY", "BodyStream", "Engine", "RequestContext", "get_consent"]

logger = logging.getLogger("consentkit")

#: Where the visitor's consent is put in a WSGI environ or an ASGI scope.
CONSENT_KEY = "consentkit.consent"
_REWRITER_CACHE = 256


def get_consent(environ_or_scope: Mapping[str, Any]) -> Consent | None:
    """The visitor's valid consent, or ``None``, as the middleware read it for this request.

    Works with a WSGI ``environ`` and an ASGI ``scope`` alike.
    """
    consent = environ_or_scope.get(CONSENT_KEY)
    return consent if isinstance(consent, Consent) else None


class Engine:
    """Everything built from a :class:`ConsentConfig` that requests share."""

    def __init__(self, config: ConsentConfig) -> None:
        self.config = config
        self.catalogue: Catalogue = config.catalogue
        self.detector = VendorDetector(
            VendorSignature(v.id, v.url_patterns, v.inline_markers)
            for v in self.catalogue.vendors
            if v.url_patterns or v.inline_markers
        )
        self._rewriters: dict[frozenset[str], HtmlRewriter] = {}
        self._public: dict[str, dict[str, Any]] = {}
        self._loaders: dict[tuple[Any, ...], bytes] = {}
        self._languages: dict[str | None, str] = {}
        tcf = config.tcf
        self._tcf_page_config: dict[str, Any] | None = (
            None
            if tcf is None
            else {
                "cmpId": tcf.cmp_id,
                "cmpVersion": tcf.cmp_version,
                "cookie": tcf.cookie_name,
                "gdprApplies": True,
                "gvlVersion": tcf.gvl.vendor_list_version,
                "tcfPolicyVersion": tcf.gvl.tcf_policy_version,
            }
        )
        #: Cookies consentkit itself sets: never deleted as stale trackers.
        self.own_cookies: tuple[str, ...] = (config.cookie_name,) + (
            (config.tcf.cookie_name,) if config.tcf is not None else ()
        )
        mapping = self.catalogue.consent_mode
        # In advanced Consent Mode, Google's tags load before any choice, with
        # every signal denied; cookies stay filtered all the same.
        self._tags_before_consent: frozenset[str] = (
            frozenset(mapping.vendors)
            if config.consent_mode == "advanced" and mapping is not None
            else frozenset()
        )

    def is_endpoint(self, path: str) -> bool:
        mount = self.config.mount_path
        return path == mount or path.startswith(mount + "/")

    def read_consent(self, cookie_header: str | None) -> Consent | None:
        """The consent in a ``Cookie`` header; any problem means none."""
        if not cookie_header:
            return None
        token = get_cookie(cookie_header, self.config.cookie_name)
        if token is None:
            return None
        consent = self.config.signer.read(token, self.catalogue)
        if consent is None:
            logger.debug("consent cookie present but not valid: treated as no consent")
        return consent

    def for_request(
        self,
        method: str,
        host: str,
        cookie_header: str | None,
        *,
        user_agent: str | None = None,
        accept_language: str | None = None,
    ) -> RequestContext:
        """Read one request's consent. A crawler never has one, and gets no banner."""
        crawler = is_crawler(user_agent)
        consent = None if crawler else self.read_consent(cookie_header)
        gate = Gate(self.catalogue, consent, strict=self.config.strict)
        return RequestContext(
            self, method.upper(), host, cookie_header or "", consent, gate, crawler, accept_language
        )

    def rewriter(self, allowed_vendors: frozenset[str]) -> HtmlRewriter:
        """The HTML rewriter for a set of allowed vendors; there are few such sets."""
        rewriter = self._rewriters.get(allowed_vendors)
        if rewriter is None:
            allowed = allowed_vendors | self._tags_before_consent
            rewriter = HtmlRewriter(self.detector, allowed.__contains__)
            if len(self._rewriters) >= _REWRITER_CACHE:
                self._rewriters.clear()
            self._rewriters[allowed_vendors] = rewriter
        return rewriter

    def language(self, accept_language: str | None) -> str:
        """The banner's language for a visitor."""
        if self.config.language is not None:
            return self.config.language
        # Browsers send the same few headers over and over: parse each once.
        lang = self._languages.get(accept_language)
        if lang is None:
            catalogue = self.catalogue
            lang = negotiate_language(
                accept_language, catalogue.all_languages, catalogue.default_language
            )
            if len(self._languages) >= _REWRITER_CACHE:
                self._languages.clear()
            self._languages[accept_language] = lang
        return lang

    def public_catalogue(self, lang: str) -> dict[str, Any]:
        """The catalogue as a banner shows it, in one language, with the banner's words."""
        cached = self._public.get(lang)
        if cached is None:
            cached = self._public[lang] = _localised(self.catalogue, lang)
        return cached

    def loader(
        self, lang: str, consent: Consent | None, allowed: frozenset[str], nonce: str | None
    ) -> bytes:
        """The banner's loader for a page; the same few variants serve most requests."""
        key = (lang, consent.purposes if consent else None, allowed, nonce)
        snippet = self._loaders.get(key)
        if snippet is None:
            snippet = loader(
                mount_path=self.config.mount_path,
                lang=lang,
                show=consent is None,
                allowed=allowed,
                consent_mode=self.consent_mode(consent),
                nonce=nonce,
                tcf=self._tcf_page_config,
            )
            # Nonces differ per response: remember only what will come again.
            if nonce is None:
                if len(self._loaders) >= _REWRITER_CACHE:
                    self._loaders.clear()
                self._loaders[key] = snippet
        return snippet

    def consent_mode(self, consent: Consent | None) -> dict[str, Any] | None:
        """What the page's Consent Mode script and the banner need: state and mapping."""
        mapping = self.catalogue.consent_mode
        if self.config.consent_mode == "off" or mapping is None:
            return None
        return {
            "state": consent_mode_state(mapping, consent.purposes if consent else None),
            "signals": {k: list(v) for k, v in mapping.signals().items()},
        }


@dataclass(slots=True)
class RequestContext:
    """One request's view of the pipeline: its consent, its gate, and how its response changes."""

    engine: Engine
    method: str
    host: str
    cookie_header: str
    consent: Consent | None
    gate: Gate
    crawler: bool = False
    accept_language: str | None = None

    def response_headers(
        self, status: int, headers: list[tuple[str, str]]
    ) -> tuple[list[tuple[str, str]], BodyStream | None]:
        """The response's new headers, and a stream to pass its body through when it is HTML.

        Denied ``Set-Cookie`` headers are dropped; tracker cookies the browser
        still sends but the gate denies are expired; an HTML body loses
        ``Content-Length`` (its length changes), gains ``Vary: Cookie``, and,
        unless the visitor is a crawler, the banner's loader.
        """
        gate = self.gate
        out = filter_set_cookies(headers, gate)
        if self.cookie_header:
            names = cookie_names(self.cookie_header)
            keep = self.engine.own_cookies
            for value in stale_cookie_deletions(names, gate, self.host, keep=keep):
                out.append(("Set-Cookie", value))
        if not is_rewritable(self.method, status, out):
            return out, None
        out = [(name, value) for name, value in out if name.lower() != "content-length"]
        add_vary_cookie(out)
        engine = self.engine
        stream = engine.rewriter(gate.allowed_vendors).stream()
        if not engine.config.banner or self.crawler:
            return out, stream
        snippet = engine.loader(
            engine.language(self.accept_language),
            self.consent,
            gate.allowed_vendors,
            csp_nonce(out),
        )
        return out, _Chain(stream, HeadInjector(snippet))


class BodyStream(Protocol):
    """What the adapters pass an HTML body through, chunk by chunk."""

    def feed(self, chunk: bytes) -> bytes: ...

    def close(self) -> bytes: ...


class _Chain:
    """The rewriting, then the banner's injection, as one stream."""

    __slots__ = ("first", "second")

    def __init__(self, first: BodyStream, second: BodyStream) -> None:
        self.first, self.second = first, second

    def feed(self, chunk: bytes) -> bytes:
        return self.second.feed(self.first.feed(chunk))

    def close(self) -> bytes:
        return self.second.feed(self.first.close()) + self.second.close()


def _localised(catalogue: Catalogue, lang: str) -> dict[str, Any]:
    t = catalogue.localize
    cookies_by_vendor: dict[str, list[dict[str, Any]]] = {}
    for rule in catalogue.cookies:
        cookies_by_vendor.setdefault(rule.vendor, []).append(
            {
                "name": rule.label or rule.name,
                "storage": rule.storage,
                "duration": catalogue.duration_text(rule, lang),
                "description": t(rule.description, lang),
                "purposes": sorted(catalogue.purposes_of(rule)),
            }
        )
    return {
        "revision": catalogue.revision,
        "language": lang,
        "policy_url": catalogue.policy_url,
        "texts": texts(catalogue, lang),
        "purposes": [
            {
                "id": p.id,
                "name": t(p.name, lang),
                "description": t(p.description, lang),
                "essential": p.essential,
            }
            for p in catalogue.purposes
        ],
        "vendors": [
            {
                "id": v.id,
                "name": v.name,
                "purposes": list(v.purposes),
                "essential": v.id in catalogue.essential_vendors,
                "privacy_policy": v.privacy_policy,
                "country": v.country,
                "transfer_safeguard": v.transfer_safeguard,
                "description": t(v.description, lang) if v.description else None,
                "cookies": cookies_by_vendor.get(v.id, []),
            }
            for v in catalogue.vendors
        ],
    }
