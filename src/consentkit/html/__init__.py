"""Neutralise, in HTML as it streams, what vendors a visitor has not consented to load.

One job per module: :mod:`._rewriter` tokenises and decides, :mod:`._inventory` says what
loads, :mod:`._markup` how a tag is neutralised and restored, :mod:`._urls` matches URLs
to vendors as a browser parses them, :mod:`._charset` reads bodies that aren't UTF-8, and
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
