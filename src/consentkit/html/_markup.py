"""The markup conventions: how a tag is neutralised, and how it is brought back.

A neutralised attribute keeps its value under ``data-consentkit-<name>`` (``:`` becoming
``-``), a script gets ``type="text/plain"`` (an original type kept in
``data-consentkit-type``), and ``data-consentkit-vendor`` lists, space-separated, every
vendor the element was attributed to. Activation reverses exactly that, and only when
every listed vendor is allowed. ``banner.js`` does the same in the browser.
"""

from __future__ import annotations

import html
import re
from html.entities import html5

from consentkit.html._inventory import moved_name, original_name

__all__ = [
    "Attr",
    "activate",
    "is_js",
    "neutralise",
    "parse_attrs",
    "unescape",
]

VENDOR_ATTR = b"data-consentkit-vendor"
_SPACE = frozenset(b"\t\n\f\r ")
_ATTR = (
    rb"([^\t\n\f\r />][^\t\n\f\r /=>]*+)(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+"
    rb"(\"[^\"]*+\"|'[^']*+'|[^\t\n\f\r >\"'][^\t\n\f\r >]*+|(?=>))|(?![\t\n\f\r ]*+=))"
)
_ATTRS = re.compile(rb"[\t\n\f\r /]*+" + _ATTR)
_CHARREF = re.compile(r"&(?:#([xX][0-9a-fA-F]+|[0-9]+);?|([A-Za-z][A-Za-z0-9]*)(;?))")
# The HTML standard's JavaScript MIME types, plus "module" and the empty (default) type.
_JS_TYPES = frozenset(
    [
        "",
        "module",
        "application/ecmascript",
        "application/javascript",
        "application/x-ecmascript",
        "application/x-javascript",
        "text/ecmascript",
        "text/javascript",
        "text/javascript1.0",
        "text/javascript1.1",
        "text/javascript1.2",
        "text/javascript1.3",
        "text/javascript1.4",
        "text/javascript1.5",
        "text/jscript",
        "text/livescript",
        "text/x-ecmascript",
        "text/x-javascript",
    ]
)

#: name, start, name end, end, value (still escaped; None when there is none)
Attr = tuple[bytes, int, int, int, bytes | None]


def parse_attrs(tag: bytes, start: int) -> tuple[list[Attr], dict[bytes, Attr]]:
    """The attributes in order, and by name: there the first of duplicates wins, as in
    browsers."""
    attrs: list[Attr] = []
    first: dict[bytes, Attr] = {}
    for m in _ATTRS.finditer(tag, start):
        name, value = m.groups()
        (_, end), (name_start, name_end), _ = m.regs
        if value and value[0] in b"\"'":
            value = value[1:-1]
        attr = (name.lower(), name_start, name_end, end, value)
        attrs.append(attr)
        first.setdefault(attr[0], attr)
    return attrs, first


def is_js(type_attr: Attr | None) -> bool:
    """Tell whether a browser would run the script; parameters are ignored to fail closed."""
    return type_attr is None or _essence(type_attr) in _JS_TYPES


def _essence(type_attr: Attr) -> str:
    return unescape(type_attr[4] or b"").split(";")[0].strip(" \t\n\f\r").lower()


def vendors_of(mark: Attr) -> tuple[str, ...]:
    """The vendor ids a ``data-consentkit-vendor`` value lists."""
    return tuple(unescape(mark[4] or b"").split())


def neutralise(
    tag: bytes,
    name: bytes,
    attrs: list[Attr],
    first: dict[bytes, Attr],
    live: list[Attr],
    vendors: tuple[str, ...],
    script: bool,
) -> bytes | None:
    """Move the ``live`` attributes aside and list ``vendors`` on the tag.

    ``script`` says the element is a script that would run: it gets ``type="text/plain"``.
    Leftover ``data-consentkit-*`` copies of a moved attribute would win over it on
    activation, so they are dropped.
    """
    moved = {a[0] for a in live}
    insert = b""
    if script:
        moved.add(b"type")
        insert = b' type="text/plain"'
    kept = {moved_name(a): a for a in moved}
    edits = []
    for attr in attrs:
        if attr[0] in moved:  # duplicates too: the next would be live in its place
            edits.append((attr[1], attr[2], moved_name(attr[0])))
        elif attr[0] in kept:
            edits.append(_removal(tag, attr))
    mark = first.get(VENDOR_ATTR)
    value = " ".join(vendors).replace("&", "&amp;").replace('"', "&quot;").encode()
    if mark is not None:
        if vendors_of(mark) != vendors:
            edits.append((mark[1], mark[3], VENDOR_ATTR + b'="' + value + b'"'))
    elif vendors:
        insert += b" " + VENDOR_ATTR + b'="' + value + b'"'
    if not edits and not insert:
        return None
    return _edit(tag, len(name) + 1, insert, edits)


def activate(
    tag: bytes, name: bytes, foreign: bool, attrs: list[Attr], first: dict[bytes, Attr]
) -> bytes | None:
    """Restore what :func:`neutralise` (or an author) moved aside, keeping the vendor."""
    restored: dict[bytes, bytes] = {}  # kept name -> original
    for attr in attrs:
        if attr[0][:16] == b"data-consentkit-" and attr[0] != VENDOR_ATTR:
            original = original_name(attr[0], name, foreign)
            if original is not None and original != b"type":
                restored[attr[0]] = original
    if name == b"script" and b"data-consentkit-type" in first:
        restored[b"data-consentkit-type"] = b"type"
    elif name == b"script" and (current := first.get(b"type")) is not None:
        # Without a kept type, "text/plain" is the neutralised mark: it goes.
        drop = {b"type"} if _essence(current) == "text/plain" else set()
        return _restore(tag, attrs, restored, drop=drop)
    return _restore(tag, attrs, restored, drop=set())


def _restore(
    tag: bytes, attrs: list[Attr], restored: dict[bytes, bytes], drop: set[bytes]
) -> bytes | None:
    drop = drop | set(restored.values())
    edits = []
    for attr in attrs:
        if attr[0] in drop:
            edits.append(_removal(tag, attr))
        elif attr[0] in restored:
            edits.append((attr[1], attr[2], restored[attr[0]]))
    return _edit(tag, 0, b"", edits) if edits else None


def _removal(tag: bytes, attr: Attr) -> tuple[int, int, bytes]:
    start = attr[1]
    while tag[start - 1] in _SPACE:
        start -= 1
    return start, attr[3], b""


def _edit(tag: bytes, at: int, insert: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    parts: list[bytes] = []
    last = 0
    for start, end, new in sorted([*edits, (at, at, insert)]):
        parts += (tag[last:start], new)
        last = end
    parts.append(tag[last:])
    return b"".join(parts)


def unescape(raw: bytes) -> str:
    """Decode an attribute value's character references the way a browser does."""
    text = raw.decode("utf-8", "surrogateescape")
    return _CHARREF.sub(_charref, text) if "&" in text else text


def unescape_text(text: str) -> str:
    """Decode character references in text content (an SVG script's, a srcdoc's)."""
    return html.unescape(text) if "&" in text else text


def _charref(m: re.Match[str]) -> str:
    number, name, semicolon = m.groups()
    if number is not None:
        digits = number.lstrip("xX").lstrip("0") or "0"
        code = int(digits, 16 if number[0] in "xX" else 10) if len(digits) <= 8 else 0x110000
        return html.unescape(f"&#{code};") if code < 0x110000 else "\ufffd"
    if semicolon and name + ";" in html5:
        return html5[name + ";"]
    # In attributes, a legacy reference without ";" stays literal before "=" (query strings).
    if not semicolon and name in html5 and m.string[m.end() : m.end() + 1] != "=":
        return html5[name]
    return m.group(0)
