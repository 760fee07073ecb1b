"""Bodies as the browser reads them: their charset, and HTML sent without a type.

The rewriter reads UTF-8. A body in any other charset is decoded with it, rewritten, and
encoded back (``surrogateescape`` both ways, so undefined bytes survive); a charset that
isn't ASCII-compatible (UTF-16, ISO-2022-JP) can't be read any other way, and a legacy
one may spell a host with characters that UTF-8 searches don't see. The charset is found
as browsers find it: a byte order mark first, then the ``Content-Type`` header, then a
``<meta>`` in the first 1024 bytes (of the first chunk); with none of them, UTF-8. (A
browser may also guess from the bytes; a page that doesn't say its charset and isn't
UTF-8 is read as UTF-8 here.)

A response without ``Content-Type`` is sniffed as browsers do (the MIME Sniffing
Standard's HTML and XML signatures), and rewritten when it looks like a document.
"""

from __future__ import annotations

import codecs
import re
from typing import Protocol

__all__ = ["charset_of", "sniff_stream", "transcoded"]

_PRESCAN = 1024
_SNIFF = 512
_META_CHARSET = re.compile(
    rb"<meta[^>]*?(?:charset|content\s*=\s*[\"']?[^\"'>]*?charset)\s*=\s*[\"']?\s*([a-z0-9_\-:.]+)",
    re.IGNORECASE,
)
_UTF8 = frozenset(["utf-8", "utf8", "unicode-1-1-utf-8", "us-ascii", "ascii"])
# The MIME Sniffing Standard: what makes an unlabelled body HTML (or XML, which can be
# XHTML). Each is followed by a space or ">" (a tag-terminating byte).
_SNIFF_HTML = re.compile(
    rb"[\t\n\f\r ]*<(?:!doctype html|html|head|script|iframe|h1|div|font|table|a|style|title|b"
    rb"|body|br|p|!--)[ >]|[\t\n\f\r ]*<\?xml",
    re.IGNORECASE,
)


class Stream(Protocol):
    def feed(self, chunk: bytes) -> bytes: ...
    def finish(self, chunk: bytes) -> bytes: ...
    def close(self) -> bytes: ...


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a ``Content-Type``, lower-cased."""
    if not content_type or "charset" not in content_type.lower():
        return None
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'").lower() or None
    return None


def _codec(label: str | None) -> str | None:
    """The Python codec for a charset label, None for UTF-8 (or an unknown label)."""
    if label is None or label in _UTF8:
        return None
    if label in ("utf-16", "utf16", "ucs-2", "ucs2", "unicode"):
        return "utf-16-le"  # the Encoding Standard's meaning of "UTF-16"
    if label in ("x-user-defined", "replacement"):
        return None
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return None if name == "utf-8" else name


def _bom(head: bytes) -> str | None:
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8"
    if head.startswith(b"\xff\xfe"):
        return "utf-16-le"
    if head.startswith(b"\xfe\xff"):
        return "utf-16-be"
    return None


class _Transcoded:
    """A stream over UTF-8, fed and read in another charset."""

    __slots__ = ("_back", "_decode", "_encode", "_inner")

    def __init__(self, inner: Stream, codec: str) -> None:
        self._inner = inner
        self._decode = codecs.getincrementaldecoder(codec)("surrogateescape")
        self._back = codecs.getincrementaldecoder("utf-8")("surrogatepass")
        self._encode = codecs.getincrementalencoder(codec)("surrogateescape")

    def feed(self, chunk: bytes) -> bytes:
        text = self._decode.decode(chunk)
        out = self._inner.feed(text.encode("utf-8", "surrogatepass"))
        return self._encode.encode(self._back.decode(out))

    def finish(self, chunk: bytes) -> bytes:
        text = self._decode.decode(chunk, final=True)
        out = self._inner.finish(text.encode("utf-8", "surrogatepass"))
        return self._encode.encode(self._back.decode(out, final=True), final=True)

    def close(self) -> bytes:
        text = self._decode.decode(b"", final=True)
        out = self._inner.feed(text.encode("utf-8", "surrogatepass")) + self._inner.close()
        return self._encode.encode(self._back.decode(out, final=True), final=True)


class _Deferred:
    """Holds the start of a body until it can tell how to read it, then hands over."""

    __slots__ = ("_choose", "_held", "_limit", "_stream")

    def __init__(self, choose: ChooseStream, limit: int) -> None:
        self._choose = choose
        self._limit = limit
        self._held = b""
        self._stream: Stream | None = None

    def feed(self, chunk: bytes) -> bytes:
        if self._stream is not None:
            return self._stream.feed(chunk)
        self._held += chunk
        if len(self._held) < self._limit:
            return b""
        held, self._held = self._held, b""
        self._stream = self._choose(held)
        return self._stream.feed(held)

    def finish(self, chunk: bytes) -> bytes:
        if self._stream is not None:
            return self._stream.finish(chunk)
        held, self._held = self._held + chunk, b""
        self._stream = self._choose(held)
        return self._stream.finish(held)

    def close(self) -> bytes:
        return self.finish(b"")


class ChooseStream(Protocol):
    def __call__(self, head: bytes) -> Stream: ...


class _Passthrough:
    __slots__ = ()

    def feed(self, chunk: bytes) -> bytes:
        return chunk

    def finish(self, chunk: bytes) -> bytes:
        return chunk

    def close(self) -> bytes:
        return b""


def transcoded(make: ChooseStream, header_charset: str | None) -> Stream:
    """A body's stream, reading it in its charset; ``make`` makes the UTF-8 stream.

    ``make`` is given the start of the body (it may ignore it).
    """

    def choose(head: bytes) -> Stream:
        codec = _bom(head)
        if codec is None:
            codec = _codec(header_charset) if header_charset else None
            if header_charset is None and (m := _META_CHARSET.search(head, 0, _PRESCAN)):
                codec = _codec(m[1].decode("ascii").lower())
        elif codec == "utf-8":
            codec = None
        inner = make(head)
        return inner if codec is None else _Transcoded(inner, codec)

    # Browsers wait for 1024 bytes to find a <meta>; a stream doesn't hold back its first
    # chunk, which is nearly always longer.
    return _Deferred(choose, 1)


def sniff_stream(make: ChooseStream) -> Stream:
    """A body sent without a type: rewritten when browsers would take it for a document."""

    def choose(head: bytes) -> Stream:
        if _SNIFF_HTML.match(head.removeprefix(b"\xef\xbb\xbf")) or _bom(head) not in (
            None,
            "utf-8",
        ):
            return make(head)
        return _Passthrough()

    return _Deferred(choose, _SNIFF)
