"""What the tokeniser knows: its tokens, its states, and the tree construction that
changes them (raw text, the script's escaped states, foreign content).

The tables and scanners are here; :class:`consentkit.html.HtmlStream` keeps the state
and walks them.
"""

from __future__ import annotations

import re

from consentkit.html._markup import parse_attrs, unescape

_SPACE = frozenset(b"\t\n\f\r ")
_ATTR = (
    rb"([^\t\n\f\r />][^\t\n\f\r /=>]*+)(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+"
    rb"(\"[^\"]*+\"|'[^']*+'|[^\t\n\f\r >\"'][^\t\n\f\r >]*+|(?=>))|(?![\t\n\f\r ]*+=))"
)
# One token at a "<": comment opener, start or end tag, or bogus comment. Possessive
# quantifiers keep it deterministic, so a failed match always means "not finished yet".
TOKEN = re.compile(
    rb"<(?:(!--)|/?([A-Za-z][^\t\n\f\r />]*+)(?:[\t\n\f\r /]++|"
    + _ATTR
    + rb")*+>|(?:!|\?|/(?![A-Za-z]))[^>]*+>)"
)
MARKUP_START = re.compile(rb"<[A-Za-z/!?]")
HOLD_START = re.compile(rb"<(?:[A-Za-z/!?]|\Z)")
COMMENT_END = re.compile(rb"--!?>")
CDATA_END = re.compile(rb"]]>")
BOGUS_END = re.compile(rb">")
_RAW_NAMES = (
    b"style",
    b"title",
    b"textarea",
    b"xmp",
    b"iframe",
    b"noembed",
    b"noframes",
    b"noscript",
)
RAW_END = {n: re.compile(rb"</" + n + rb"[\t\n\f\r />]") for n in _RAW_NAMES}
# The script states: data, escaped (after "<!--"), double escaped (after "<script" there).
_SCRIPT_EVENTS = (
    re.compile(rb"<!--|</script[\t\n\f\r />]"),
    re.compile(rb"-->|<(/?)script[\t\n\f\r />]"),
    re.compile(rb"-->|</script[\t\n\f\r />]"),
)
SCRIPT_TAIL = 9  # len("</script>"): what may be an event cut by the chunk's end
# Factored by first letter: these searches visit every "<" of the page.
OPENERS = re.compile(
    rb"<(?:!--|(?:s(?:cript|tyle|vg)|t(?:itle|extarea)|xmp|iframe|no(?:embed|frames|script)"
    rb"|plaintext|math)[\t\n\f\r />])"
)
# Every start tag is an event when no probe can be trusted.
ALL_TAGS = re.compile(rb"<(?:!--|[a-z])")
RAW_END_SVG_SCRIPT = re.compile(rb"</script[\t\n\f\r />]")

DATA, COMMENT, RAW, PLAINTEXT, SCRIPT, CDATA, BOGUS = range(7)
NS_HTML, NS_SVG, NS_MATH = range(3)

VOID = frozenset(
    b"area base br col embed hr img image input keygen link meta param source track wbr".split()
)
BREAKOUT = frozenset(
    b"b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i "
    b"img li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u "
    b"ul var".split()
)
_SVG_HTML_POINTS = frozenset([b"foreignobject", b"desc", b"title"])
_MATH_TEXT_POINTS = frozenset([b"mi", b"mo", b"mn", b"ms", b"mtext"])
# HTML elements an end tag in foreign content may close, taking the foreign content with
# it; any other unknown end tag there is ignored, as the parser does when none is open.
HEAD_ONLY = frozenset([b"head", b"body", b"meta", b"title", b"base", b"link"])

# One open element of foreign content (or HTML inside it): namespace, name, and whether
# it is an integration point (HTML content inside).
Open = tuple[int, bytes, bool]


def script_end(low: bytes, pos: int, esc: int) -> tuple[int, int, int]:
    """Where a script's text ends (its ``</script``), following the escaped states.

    Returns the end (-1 when not in sight), the state there, and how far the scan is
    known to be right (an event may be cut by the buffer's end).
    """
    while True:
        m = _SCRIPT_EVENTS[esc].search(low, pos)
        if m is None:
            return -1, esc, len(low)
        token = m.group()
        if esc == 0:
            if token == b"<!--":
                esc, pos = 1, m.start() + 2
                continue
            return m.start(), 0, m.start()
        if token == b"-->":
            esc, pos = 0, m.end()
        elif esc == 1 and m.group(1):
            return m.start(), 0, m.start()
        else:
            esc, pos = (2 if esc == 1 else 1), m.end() - 1


def html_rules(top: Open, name: bytes) -> bool:
    """Whether a start tag is processed as HTML, the adjusted current node being ``top``."""
    ns, open_name, point = top
    if ns == NS_HTML or point:
        return True
    if ns == NS_MATH:
        if open_name in _MATH_TEXT_POINTS:
            return name not in (b"mglyph", b"malignmark")
        return open_name == b"annotation-xml" and name == b"svg"
    return False


def is_point(top: Open | None, name: bytes, tag: bytes) -> bool:
    """Whether a foreign element takes HTML content inside it."""
    ns = top[0] if top else NS_SVG
    if ns == NS_SVG:
        return name in _SVG_HTML_POINTS
    if name in _MATH_TEXT_POINTS:
        return False  # start tags only: see html_rules
    if name == b"annotation-xml":
        encoding = parse_attrs(tag, 15)[1].get(b"encoding")
        value = unescape(encoding[4] or b"").lower() if encoding else ""
        return value in ("text/html", "application/xhtml+xml")
    return False


def font_breaks_out(tag: bytes) -> bool:
    first = parse_attrs(tag, 5)[1]
    return any(a in first for a in (b"color", b"face", b"size"))


def maybe_quoted(buf: bytes, lo: int, g: int) -> bool:
    """Whether the ``>`` at ``g`` might sit inside a quoted attribute value.

    Such a value opens with the last quote of its kind before ``g``, right after ``=`` and
    optional whitespace; if neither quote kind looks like that, ``>`` ends any tag.
    """
    for quote in b'"', b"'":
        i = buf.rfind(quote, lo, g) - 1
        while i >= lo and buf[i] in _SPACE:
            i -= 1
        if i >= lo and buf[i] == 0x3D:
            return True
    return False
