"""The consent banner as the server serves it: assets, the loader it injects, its words.

The banner itself is static JavaScript and CSS (``static/``), served under the
mount path with an ETag. The middleware injects a loader where the parser opens the
page's head (the HTML rewriter's tokeniser finds the place): a JSON configuration
element, the stylesheet and a deferred script, with the CSP nonce of the response when it
has one. Nothing inline runs, so a strict Content-Security-Policy needs only ``'self'``
(or the nonce). Crawlers get no banner. The loader is well-formed XML too, for XHTML
pages, and pure ASCII, so it reads the same in any charset.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from importlib import resources
from typing import Any

from consentkit._texts import DEFAULT_TEXTS, NOTICES, SAFEGUARDS
from consentkit.catalogue import Catalogue, ConsentModeMapping

__all__ = [
    "ASSETS",
    "Asset",
    "consent_mode_state",
    "csp_nonce",
    "is_crawler",
    "negotiate_language",
    "notice",
    "texts",
]

SIGNALS = ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization")

# Known crawlers, plus the "<name>bot/<version>" shape nearly all of them use.
_CRAWLER = re.compile(
    r"bot/\d|crawler|spider|slurp|googlebot|bingbot|yandex|baiduspider|duckduckbot|"
    r"facebookexternalhit|facebot|ia_archiver|applebot|petalbot|semrush|ahrefs|mj12bot",
    re.IGNORECASE,
)
_CRAWLER_LOWER = re.compile(_CRAWLER.pattern)
_NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=_-]+)'")


@dataclass(frozen=True, slots=True)
class Asset:
    """A static file of the banner, with the validators clients cache it by."""

    content_type: str
    body: bytes
    #: The HTTP validator.
    etag: str
    #: A short digest for the URL, so a new release is fetched at once.
    version: str

    @classmethod
    def of(cls, content_type: str, body: bytes) -> Asset:
        digest = hashlib.sha256(body).hexdigest()
        return cls(content_type, body, f'"{digest[:32]}"', digest[:12])


def _load_assets() -> dict[str, Asset]:
    types = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
    assets = {}
    folder = resources.files("consentkit") / "static"
    for name in ("banner.js", "banner.css", "consent-mode.js", "tcfapi.js"):
        resource = folder / name
        if resource.is_file():
            assets[name] = Asset.of(types[name[name.rindex(".") :]], resource.read_bytes())
    return assets


#: The banner's files by name, read once at import.
ASSETS: dict[str, Asset] = _load_assets()


def is_crawler(user_agent: str | None) -> bool:
    """Whether a request comes from a known crawler: it gets no banner and no consent."""
    if not user_agent:
        return False
    if user_agent.isascii():
        # Ten times faster than the case-blind search, with the same answer: for ASCII
        # text, lower() folds exactly the letters IGNORECASE would.
        return _CRAWLER_LOWER.search(user_agent.lower()) is not None
    return _CRAWLER.search(user_agent) is not None


def negotiate_language(accept_language: str | None, languages: Sequence[str], default: str) -> str:
    """The visitor's preferred language among ``languages``, from ``Accept-Language``."""
    ranked = []
    for position, part in enumerate((accept_language or "").split(",")[:20]):
        lang, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if lang and quality > 0:
            ranked.append((-quality, position, lang.strip().lower()))
    for _, _, lang in sorted(ranked):
        for candidate in (lang, lang.split("-")[0]):
            if candidate in languages:
                return candidate
    return default


def csp_nonce(headers: Iterable[tuple[str, str]]) -> str | None:
    """The nonce a response's Content-Security-Policy allows scripts with, if any."""
    for name, value in headers:
        if name.lower() == "content-security-policy":
            match = _NONCE.search(value)
            if match:
                return match.group(1)
    return None


def texts(catalogue: Catalogue, lang: str) -> dict[str, Any]:
    """Every word of the banner in ``lang``: defaults, then the catalogue's own."""
    base = DEFAULT_TEXTS.get(lang) or DEFAULT_TEXTS["en"]
    own = catalogue.texts.get(lang, {})
    words: dict[str, Any] = {**base, **own}
    if "notice" not in own:
        words["notice"] = notice(catalogue, lang)
    words["safeguards"] = SAFEGUARDS.get(lang) or SAFEGUARDS["en"]
    return words


def notice(catalogue: Catalogue, lang: str) -> str:
    """The first layer's default notice in ``lang``: what consent is asked for, by name.

    It names the catalogue's optional purposes, in the catalogue's order, and speaks
    of partners only when an optional vendor exists: a notice must say what the
    visitor consents to, and no more. A catalogue replaces it with ``notice`` in its
    ``[texts.<lang>]`` table.
    """
    words = NOTICES.get(lang) or NOTICES["en"]
    names = [catalogue.localize(p.name, lang) for p in catalogue.purposes if not p.essential]
    if not names:
        return words["essential_only"]
    listed = ", ".join(names[:-1]) + words["and"] + names[-1] if len(names) > 1 else names[0]
    ask = words["partners"] if catalogue.optional_vendors else words["own"]
    which = words["many"] if len(names) > 1 else words["one"]
    return ask.format(which=which, purposes=listed) + " " + words["rest"]


def consent_mode_state(
    mapping: ConsentModeMapping, purposes: frozenset[str] | None
) -> dict[str, str]:
    """The four Consent Mode v2 signals for a set of granted purposes (None: nothing granted)."""
    granted = purposes or frozenset()
    return {
        signal: "granted" if needs and granted.issuperset(needs) else "denied"
        for signal, needs in mapping.signals().items()
    }


def loader(
    *,
    mount_path: str,
    lang: str,
    show: bool,
    allowed: Iterable[str],
    consent_mode: Mapping[str, Any] | None,
    nonce: str | None,
    tcf: Mapping[str, Any] | None = None,
) -> bytes:
    """The elements injected into a page: configuration, then the banner's files."""
    config: dict[str, Any] = {
        "endpoint": f"{mount_path}/consent",
        "lang": lang,
        "show": show,
        "allowed": sorted(allowed),
        "consentMode": consent_mode,
    }
    if tcf is not None:
        config["tcf"] = tcf
    # ASCII, and "<", ">", "&" escaped: no text in the data can close the element, and it
    # is the same text in HTML and in XHTML, whatever the page's charset.
    data = json.dumps(config, separators=(",", ":"))
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    nonce_attr = f' nonce="{escape(nonce)}"' if nonce else ""
    parts = [f'<script type="application/json" id="consentkit-config">{data}</script>']
    if tcf is not None and "tcfapi.js" in ASSETS:
        # The CMP API must exist before any vendor's tag asks for it: synchronous, first.
        src = f"{mount_path}/tcfapi.js?v={ASSETS['tcfapi.js'].version}"
        parts.append(f'<script src="{src}"{nonce_attr}></script>')
    if consent_mode is not None and "consent-mode.js" in ASSETS:
        src = f"{mount_path}/consent-mode.js?v={ASSETS['consent-mode.js'].version}"
        parts.append(f'<script src="{src}"{nonce_attr}></script>')
    if "banner.css" in ASSETS:
        href = f"{mount_path}/banner.css?v={ASSETS['banner.css'].version}"
        parts.append(f'<link rel="stylesheet" href="{href}"{nonce_attr} />')
    if "banner.js" in ASSETS:
        src = f"{mount_path}/banner.js?v={ASSETS['banner.js'].version}"
        parts.append(f'<script defer="defer" src="{src}"{nonce_attr}></script>')
    return "".join(parts).encode("utf-8")
