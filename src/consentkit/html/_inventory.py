"""What makes an element fetch or run something: the one table the rewriter works from.

Taken from the HTML Standard (the elements' content attributes that are "valid non-empty
URLs potentially surrounded by spaces", srcset candidates, nested browsing contexts,
event handler content attributes) and SVG 2 (``href`` and the legacy ``xlink:href`` of
the elements that reference resources). docs/middleware.md shows the same table.

Names are as the tokeniser sees them: lower-cased, so SVG's ``feImage`` is ``feimage``.
Out of reach of any server, and so not here: URLs assembled by script at run time, and
CSS (``url()`` in ``<style>`` and ``style=""``).
"""

from __future__ import annotations

__all__ = [
    "CODE",
    "DOCUMENT",
    "JS_URL",
    "URL",
    "URLS",
    "loading_attributes",
    "moved_name",
    "original_name",
]

#: A URL fetched (or a ``javascript:``/``data:`` one run) when the element is parsed.
URL = 1
#: A list of URLs: ``srcset`` candidates, ``ping``'s space-separated URLs.
URLS = 2
#: Code run by the browser: an event handler content attribute (``onload``...).
CODE = 3
#: A whole document: ``iframe srcdoc``.
DOCUMENT = 4
#: A navigation that runs only a ``javascript:`` URL, and only on a user's action.
JS_URL = 5

_IMG = {b"src": URL, b"srcset": URLS}
_BACKGROUND = {b"background": URL}

#: HTML elements, by the name the tokeniser sees.
HTML: dict[bytes, dict[bytes, int]] = {
    b"script": {b"src": URL},
    b"img": _IMG,
    b"image": _IMG,  # the parser builds an <img> from it
    b"iframe": {b"src": URL, b"srcdoc": DOCUMENT},
    b"frame": {b"src": URL},
    b"embed": {b"src": URL},
    b"object": {b"data": URL},
    b"video": {b"src": URL, b"poster": URL},
    b"audio": {b"src": URL},
    b"source": {b"src": URL, b"srcset": URLS},
    b"track": {b"src": URL},
    b"input": {b"src": URL, b"formaction": JS_URL},  # src loads for type=image
    b"link": {b"href": URL, b"imagesrcset": URLS},
    b"body": _BACKGROUND,
    b"table": _BACKGROUND,
    b"thead": _BACKGROUND,
    b"tbody": _BACKGROUND,
    b"tfoot": _BACKGROUND,
    b"tr": _BACKGROUND,
    b"td": _BACKGROUND,
    b"th": _BACKGROUND,
    b"a": {b"ping": URLS, b"href": JS_URL},
    b"area": {b"ping": URLS, b"href": JS_URL},
    b"form": {b"action": JS_URL},
    b"button": {b"formaction": JS_URL},
}
#: SVG elements: every ``href`` is taken as loading, whatever the element (``script``,
#: ``image``, ``feimage`` and ``use`` do; failing closed costs nothing on the others).
SVG = {b"href": URL, b"xlink:href": URL}

# Elements whose URL loads a document in which a data: URL's markup would run.
DOCUMENT_LOADERS = frozenset([b"iframe", b"frame", b"embed", b"object"])


def loading_attributes(name: bytes, foreign: bool) -> dict[bytes, int]:
    """The attributes that load or run something on the element ``name``, and how.

    Event handlers (``on*``) are on every element and aren't listed here.
    """
    return SVG if foreign else HTML.get(name, {})


def moved_name(attr: bytes) -> bytes:
    """Where a neutralised attribute is kept: ``xlink:href`` -> ``data-consentkit-xlink-href``.

    No ``:`` in the new name, so the markup stays namespace-well-formed in XHTML.
    """
    return b"data-consentkit-" + attr.replace(b":", b"-")


def original_name(kept: bytes, element: bytes, foreign: bool) -> bytes | None:
    """The attribute a ``data-consentkit-*`` name keeps on ``element``, or None."""
    name = kept[16:]
    if (name.startswith(b"on") and len(name) > 2) or (name == b"type" and element == b"script"):
        return name
    if foreign:
        return b"xlink:href" if name == b"xlink-href" else name if name == b"href" else None
    return name if name in HTML.get(element, ()) else None
