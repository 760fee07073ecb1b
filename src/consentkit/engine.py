"""The pipeline, built once: request cookie → token → Consent → Gate → response rewriting.

:class:`Engine` is immutable and shared by every request; the WSGI and ASGI
middleware only translate their I/O into its calls, so the two can't drift.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from consentkit.banner import (
    consent_mode_state,
    csp_nonce,
    is_crawler,
    loader,
    negotiate_language,
    texts,
)
from consentkit.catalogue import Catalogue, CookieRule
from consentkit.config import ConsentConfig
from consentkit.consent import Consent, rule_allowed
from consentkit.cookies import get_cookie, parse_cookie_header
from consentkit.exceptions import ConfigurationError
from consentkit.gate import Gate, Verdict
from consentkit.html import HtmlRewriter, VendorDetector, VendorSignature
from consentkit.html._charset import charset_of, sniff_stream, transcoded
from consentkit.rewrite import (
    NO_BODY_STATUSES,
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
#: Entries in each per-request cache. Keys come from visitors (user agents, cookie
#: names, content types): a full cache is emptied, so junk can't grow it.
_CACHE_SIZE = 256
#: Longer user agents are judged afresh each time rather than kept.
_MAX_CACHED_KEY = 1024
_GLOB_CHARS = "*?["


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
        # What requests share, worked out once. Each cache here pays for itself on every
        # request (``make bench``), and each is bounded: a full one is emptied, so keys
        # that come from visitors can't grow it.
        # - the per-choice objects, by (purposes, vendors) granted: a site sees a handful
        #   of choices; each holds its gate's cookie verdicts, rewriter and loaders;
        self._choices: dict[tuple[frozenset[str], frozenset[str]], _Choice] = {}
        # - by the identity of a Consent the signer gave back (a returning visitor's
        #   token gives the very same object): its gate and choice, with no hashing;
        self._seen: dict[int, tuple[Consent, Gate, _Choice]] = {}
        # - rewriters by the vendors allowed: choices that allow the same vendors share
        #   one, and with it the pages it remembers (see consentkit.html._memo);
        self._rewriters: dict[frozenset[str], HtmlRewriter] = {}
        # - the banner's language by Accept-Language header, and the catalogue as the
        #   banner shows it, by language;
        self._languages: dict[str | None, str] = {}
        self._public: dict[str, dict[str, Any]] = {}
        # - user agents judged crawlers or not, and Content-Type values judged HTML or not.
        self._crawlers: dict[str, bool] = {}
        self._html_types: dict[str, bool] = {}
        # The token signer remembers verified tokens, and the detector (consentkit.html)
        # its plans and pages; each says why and how it is bounded where it is made.
        self.warned_compressed = False  # a compressed page was met, and said so
        # Undeclared cookie names already warned about: the warning is for the site's
        # developer, once per name; bounded, as the names come from the app.
        self._warned: set[str] = set()
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
        self._trackers = _tracker_hint(self.catalogue.cookies, self.own_cookies)
        self._no_consent = Gate(self.catalogue, None, strict=config.strict)
        self._no_choice = _Choice(self, self._no_consent)

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
        path: str = "",
    ) -> RequestContext:
        """Read one request's consent. A crawler never has one, and gets no banner."""
        crawler = False
        if user_agent:
            # Visitors share a few user agents: judge each once.
            crawler_or_none = self._crawlers.get(user_agent)
            if crawler_or_none is None:
                crawler_or_none = is_crawler(user_agent)
                if len(user_agent) <= _MAX_CACHED_KEY:
                    if len(self._crawlers) >= _CACHE_SIZE:
                        self._crawlers.clear()
                    self._crawlers[user_agent] = crawler_or_none
            crawler = crawler_or_none
        token = None
        if cookie_header and not crawler:
            token = get_cookie(cookie_header, self.config.cookie_name)
        consent = None
        if token is not None:
            consent = self.config.signer.read(token, self.catalogue)
            if consent is None:
                logger.debug("consent cookie present but not valid: treated as no consent")
        if consent is None:
            gate, choice = self._no_consent, self._no_choice
        else:
            gate, choice = self._gate(consent)
        names: Sequence[str] = ()
        if cookie_header and choice.denies_cookies:
            trackers = self._trackers
            if trackers is None or _mentions(cookie_header, trackers):
                # It may hold a tracker cookie to expire: only now is the header parsed
                # (a visitor who accepted everything has none, whatever the header says).
                names = list(parse_cookie_header(cookie_header))
        return RequestContext(
            self,
            method.upper(),
            host,
            cookie_header or "",
            consent,
            gate,
            crawler,
            accept_language,
            choice,
            names,
            path,
        )

    def _gate(self, consent: Consent) -> tuple[Gate, _Choice]:
        """The gate of a consent, and what its choices share with every equal one.

        A returning visitor's token gives the very same :class:`Consent` object on each
        request (the signer remembers it), so it is looked up by identity first.
        """
        seen = self._seen.get(id(consent))
        if seen is not None and seen[0] is consent:
            return seen[1], seen[2]
        gate = Gate(self.catalogue, consent, strict=self.config.strict)
        if consent.catalogue is not self.catalogue:
            return gate, _Choice(self, gate)  # not ours: nothing to share
        key = (consent.purposes, consent.vendors)
        choice = self._choices.get(key)
        if choice is None:
            if len(self._choices) >= _CACHE_SIZE:
                self._choices.clear()
            choice = self._choices[key] = _Choice(self, gate)
        if len(self._seen) >= _CACHE_SIZE:
            self._seen.clear()
        # The entry keeps the consent alive, so its id can't be reused while it is here.
        self._seen[id(consent)] = (consent, gate, choice)
        return gate, choice

    def undeclared_cookie(self, name: str) -> None:
        """Say once per name that the app sets a cookie no catalogue rule declares."""
        if name not in self._warned and len(self._warned) < _CACHE_SIZE * 4:
            self._warned.add(name)
            logger.warning(
                "cookie %r is not declared in the catalogue; %s",
                name,
                "blocked (strict mode)" if self.config.strict else "let through",
            )

    def is_html(self, content_type: str) -> bool:
        """Whether a ``Content-Type`` value names HTML the rewriting can read."""
        html = self._html_types.get(content_type)
        if html is None:
            html = is_rewritable("GET", 200, (("content-type", content_type),))
            if len(content_type) <= _MAX_CACHED_KEY:
                if len(self._html_types) >= _CACHE_SIZE:
                    self._html_types.clear()
                self._html_types[content_type] = html
        return html

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
        """The banner's loader for a page (the per-choice objects keep theirs)."""
        return loader(
            mount_path=self.config.mount_path,
            lang=lang,
            show=consent is None,
            allowed=allowed,
            consent_mode=self.consent_mode(consent),
            nonce=nonce,
            tcf=self._tcf_page_config,
        )

    def consent_mode(self, consent: Consent | None) -> dict[str, Any] | None:
        """What the page's Consent Mode script and the banner need: state and mapping."""
        mapping = self.catalogue.consent_mode
        if self.config.consent_mode == "off" or mapping is None:
            return None
        return {
            "state": consent_mode_state(mapping, consent.purposes if consent else None),
            "signals": {k: list(v) for k, v in mapping.signals().items()},
        }


class _Choice:
    """What every request with the same choices (or with none) shares, worked out once.

    A site sees few distinct choices: accept all, refuse all, a handful of custom
    ones. Their allowed vendors, cookie verdicts, HTML rewriter and banner loaders are
    the same for every visitor who made them; a request's context is a view over one.
    """

    __slots__ = (
        "allowed_vendors",
        "consent",
        "denies_cookies",
        "engine",
        "gate",
        "loaders",
        "rewriter",
        "verdicts",
    )

    def __init__(self, engine: Engine, gate: Gate) -> None:
        self.engine = engine
        self.gate = gate
        # The consent the choice was first made from: for the loader, which depends only
        # on the purposes granted (equal in every consent sharing this choice).
        self.consent = gate.consent
        self.allowed_vendors = gate.allowed_vendors
        self.rewriter = engine.rewriter(self.allowed_vendors)
        # Cookie names judged (bounded like the engine's caches), loaders by language.
        self.verdicts: dict[str, Verdict] = {}
        self.loaders: dict[str, bytes] = {}
        # Whether any declared cookie is denied: when none is, nothing can be stale.
        catalogue = engine.catalogue
        self.denies_cookies = not all(
            rule_allowed(catalogue, rule, gate.allows_vendor, gate.allows_purpose)
            for rule in catalogue.cookies
            if rule.storage == "cookie" and rule.name not in engine.own_cookies
        )

    def verdict(self, name: str) -> Verdict:
        verdict = self.verdicts.get(name)
        if verdict is None:
            verdict = self.gate.verdict(name)
            if len(self.verdicts) >= _CACHE_SIZE:
                self.verdicts.clear()
            self.verdicts[name] = verdict
        return verdict

    def loader(self, lang: str, nonce: str | None) -> bytes:
        """The banner's loader in a language; a nonce makes it per response."""
        if nonce is not None:
            return self.engine.loader(lang, self.consent, self.allowed_vendors, nonce)
        snippet = self.loaders.get(lang)
        if snippet is None:
            snippet = self.engine.loader(lang, self.consent, self.allowed_vendors, None)
            self.loaders[lang] = snippet  # one per language the catalogue has
        return snippet


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
    #: What the request shares with others of the same choices; ``for_request`` sets it.
    choice: _Choice | None = None
    #: The names in the Cookie header, when one of them may be a tracker to expire;
    #: ``None`` when ``for_request`` didn't look (the header is parsed here then).
    cookie_names: Sequence[str] | None = None
    #: The request's path: the name its page is remembered under by the rewriter.
    path: str = ""

    def response_headers(
        self, status: int, headers: list[tuple[str, str]]
    ) -> tuple[list[tuple[str, str]], BodyStream | None]:
        """The response's new headers, and a stream to pass its body through when it is HTML.

        Denied ``Set-Cookie`` headers are dropped; tracker cookies the browser
        still sends but the gate denies are expired; an HTML body loses
        ``Content-Length`` (its length changes), gains ``Vary: Cookie``, and,
        unless the visitor is a crawler, the banner's loader. A ``HEAD`` response
        gets the headers its ``GET`` would.
        """
        engine = self.engine
        gate = self.gate
        choice = self.choice
        if choice is None:
            choice = _Choice(engine, gate)
        # One pass over the headers finds all the rest of this method needs.
        out = list(headers)
        cookies = length = vary = csp = encoded = False
        rewritable = status >= 200 and status not in NO_BODY_STATUSES
        content_type = None
        for name, value in headers:
            lower = name.lower()
            if lower == "content-type":
                content_type = value
            elif lower == "content-length":
                length = True
            elif lower == "set-cookie":
                cookies = True
            elif lower == "content-encoding":
                encoded = encoded or value.strip().lower() not in ("", "identity")
            elif lower == "vary":
                vary = True
            elif lower == "content-security-policy":
                csp = True
        if cookies:
            out = filter_set_cookies(out, gate, engine.undeclared_cookie, choice.verdict)
        names = self.cookie_names
        if names is None:
            names = list(parse_cookie_header(self.cookie_header)) if self.cookie_header else ()
        if names:
            keep = engine.own_cookies
            stale = [n for n in names if n not in keep and choice.verdict(n) == "deny"]
            if stale:
                for value in stale_cookie_deletions(stale, gate, self.host, keep=keep):
                    out.append(("Set-Cookie", value))
        if not rewritable:
            return out, None
        # Without a type, browsers sniff: what they'd take for a document is rewritten.
        if content_type is not None and not engine.is_html(content_type):
            return out, None
        if encoded:
            _compressed(engine, content_type)
            return out, None
        if length:
            out = [(name, value) for name, value in out if name.lower() != "content-length"]
        if vary:
            add_vary_cookie(out)
        else:
            out.append(("Vary", "Cookie"))
        if self.method == "HEAD":
            # No body, but the headers a GET would get: its length is not the app's.
            return out, None
        snippet = None
        if engine.config.banner and not self.crawler:
            snippet = choice.loader(
                engine.language(self.accept_language), csp_nonce(out) if csp else None
            )
        rewriter = choice.rewriter
        path = self.path

        def make(head: bytes) -> BodyStream:
            return rewriter.stream(snippet, path)

        if content_type is None:
            return out, sniff_stream(lambda head: transcoded(make, None))
        return out, transcoded(make, charset_of(content_type))


def _compressed(engine: Engine, content_type: str | None) -> None:
    """A compressed page can't be read, so its trackers go out live: a compression
    middleware sits inside consentkit. Said once; refused in strict mode."""
    message = (
        f"consentkit met a compressed page ({content_type or 'no Content-Type'}) and could "
        "not neutralise its trackers: put the compression middleware outside consentkit "
        "(docs/middleware.md, 'Ordering with other middleware')"
    )
    if engine.config.strict:
        raise ConfigurationError(message)
    if not engine.warned_compressed:
        engine.warned_compressed = True
        logger.warning(message)


class BodyStream(Protocol):
    """What the adapters pass an HTML body through, chunk by chunk."""

    def feed(self, chunk: bytes) -> bytes: ...

    def finish(self, chunk: bytes) -> bytes:
        """``feed(chunk) + close()`` in one call: the last chunk, or a whole body.

        Adapters call it when they know a chunk is the last, so that a whole small
        page is rewritten in one go.
        """
        ...

    def close(self) -> bytes: ...


def _localised(catalogue: Catalogue, lang: str) -> dict[str, Any]:
    t = catalogue.localize
    # A vendor's cookies show with the vendor, the site's own under their purposes: the
    # site is no partner of its own.
    cookies_by_vendor: dict[str, list[dict[str, Any]]] = {}
    own_cookies_by_purpose: dict[str, list[dict[str, Any]]] = {}
    for rule in catalogue.cookies:
        cookie = {
            "name": rule.label or rule.name,
            "storage": rule.storage,
            "duration": catalogue.duration_text(rule, lang),
            "description": t(rule.description, lang),
            "purposes": sorted(catalogue.purposes_of(rule)),
        }
        if rule.vendor is not None:
            cookies_by_vendor.setdefault(rule.vendor, []).append(cookie)
        else:
            for purpose in cookie["purposes"]:
                own_cookies_by_purpose.setdefault(purpose, []).append(cookie)
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
                "cookies": own_cookies_by_purpose.get(p.id, []),
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


def _tracker_hint(rules: Sequence[CookieRule], own: Sequence[str]) -> tuple[str, ...] | None:
    """Texts found in every Cookie header that holds a declared cookie.

    Only a cookie some rule declares can be stale, and such a name contains the
    rule's exact name, or its glob's text before the first wildcard (rules are
    case-sensitive). A header where none of these occurs needs no parsing for
    stale cookies, which is most headers. ``None`` when a glob starts with a
    wildcard: then every header must be parsed.
    """
    literals = set()
    for rule in rules:
        if rule.storage != "cookie" or rule.name in own:
            continue  # consentkit's own cookies are never expired as stale
        literal = rule.name
        for char in _GLOB_CHARS:
            literal = literal.split(char, 1)[0]
        if not literal:
            return None
        literals.add(literal)
    # A text containing another is found whenever it is: keep the shortest ones only.
    shortest = (lit for lit in literals if not any(o != lit and o in lit for o in literals))
    return tuple(sorted(shortest))


def _mentions(header: str, texts: tuple[str, ...]) -> bool:
    # A plain loop of substring searches: faster than any() over a generator, and than
    # one regular expression of the alternatives.
    for text in texts:  # noqa: SIM110
        if text in header:
            return True
    return False
