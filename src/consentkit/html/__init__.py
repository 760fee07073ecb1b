"""Neutralise, in HTML as it streams, what vendors a visitor has not consented to load.

One job per module: :mod:`._rewriter` streams and decides, :mod:`._tokens` is what the
tokeniser knows, :mod:`._inventory` says what loads, :mod:`._markup` how a tag is
neutralised and restored, :mod:`._vendors` what a page's markup belongs to and what to
look for, :mod:`._urls` matches URLs as a browser parses them (:mod:`._idna`: the
characters that hide a host), :mod:`._charset` reads bodies that aren't UTF-8, and
:mod:`._memo` remembers pages seen again.
"""

from consentkit.html._rewriter import (
    MAX_SCRIPT_LOOKAHEAD,
    MAX_TAG_BYTES,
    HtmlRewriter,
    HtmlStream,
    VendorDetector,
    VendorSignature,
)

__all__ = [
    "MAX_SCRIPT_LOOKAHEAD",
    "MAX_TAG_BYTES",
    "HtmlRewriter",
    "HtmlStream",
    "VendorDetector",
    "VendorSignature",
]
