"""Characters that can hide a tracker's host name from a byte search.

The WHATWG host parser maps a host through UTS 46 before it looks at it: fullwidth
letters become ASCII, ideographic full stops become dots, soft hyphens and other
ignorables vanish. A URL spelled with any of them loads from the same host as the plain
one, so the rewriter treats each as a probe. The table is every code point for which ada
(the URL parser the rewriter uses) turns ``https://a<c>b.example/`` into an ASCII host;
``python -m consentkit.html._idna`` generates it again, and tests/test_urls.py checks it.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["HOST_HIDING", "HOST_HIDING_UTF8"]

#: Inclusive ranges of the code points, generated with ada-url 4.0.
HOST_HIDING: tuple[tuple[int, int], ...] = (
    (0x00AA, 0x00AA),
    (0x00AD, 0x00AD),
    (0x00B2, 0x00B3),
    (0x00B9, 0x00BA),
    (0x0132, 0x0133),
    (0x017F, 0x017F),
    (0x01C7, 0x01CC),
    (0x01F1, 0x01F3),
    (0x02B0, 0x02B0),
    (0x02B2, 0x02B3),
    (0x02B7, 0x02B8),
    (0x02E1, 0x02E3),
    (0x034F, 0x034F),
    (0x037E, 0x037E),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x1D2C, 0x1D2C),
    (0x1D2E, 0x1D2E),
    (0x1D30, 0x1D31),
    (0x1D33, 0x1D3A),
    (0x1D3C, 0x1D3C),
    (0x1D3E, 0x1D43),
    (0x1D47, 0x1D49),
    (0x1D4D, 0x1D4D),
    (0x1D4F, 0x1D50),
    (0x1D52, 0x1D52),
    (0x1D56, 0x1D58),
    (0x1D5B, 0x1D5B),
    (0x1D62, 0x1D65),
    (0x1D9C, 0x1D9C),
    (0x1DA0, 0x1DA0),
    (0x1DBB, 0x1DBB),
    (0x1FEF, 0x1FEF),
    (0x200B, 0x200B),
    (0x203C, 0x203C),
    (0x2060, 0x2064),
    (0x206A, 0x2071),
    (0x2074, 0x207A),
    (0x207C, 0x208A),
    (0x208C, 0x208E),
    (0x2090, 0x2093),
    (0x2095, 0x209C),
    (0x20A8, 0x20A8),
    (0x2102, 0x2102),
    (0x210A, 0x210E),
    (0x2110, 0x2113),
    (0x2115, 0x2116),
    (0x2119, 0x211D),
    (0x2120, 0x2122),
    (0x2124, 0x2124),
    (0x2128, 0x2128),
    (0x212A, 0x212A),
    (0x212C, 0x212D),
    (0x212F, 0x2131),
    (0x2133, 0x2134),
    (0x2139, 0x2139),
    (0x213B, 0x213B),
    (0x2145, 0x2149),
    (0x2160, 0x217F),
    (0x2460, 0x2487),
    (0x249C, 0x24EA),
    (0x2A75, 0x2A76),
    (0x2C7C, 0x2C7D),
    (0x3002, 0x3002),
    (0x3164, 0x3164),
    (0x3250, 0x325F),
    (0x32B1, 0x32BF),
    (0x32CC, 0x32CF),
    (0x3371, 0x337A),
    (0x3380, 0x3381),
    (0x3383, 0x338B),
    (0x338E, 0x3394),
    (0x3396, 0x339A),
    (0x339C, 0x33A6),
    (0x33A9, 0x33AD),
    (0x33B0, 0x33B1),
    (0x33B3, 0x33B5),
    (0x33B7, 0x33BB),
    (0x33BD, 0x33BF),
    (0x33C3, 0x33C5),
    (0x33C8, 0x33D7),
    (0x33D9, 0x33DD),
    (0x33FF, 0x33FF),
    (0xA7F1, 0xA7F4),
    (0xFB00, 0xFB06),
    (0xFB29, 0xFB29),
    (0xFE00, 0xFE10),
    (0xFE14, 0xFE15),
    (0xFE33, 0xFE38),
    (0xFE4D, 0xFE50),
    (0xFE54, 0xFE54),
    (0xFE57, 0xFE57),
    (0xFE59, 0xFE5C),
    (0xFE60, 0xFE63),
    (0xFE66, 0xFE66),
    (0xFE69, 0xFE69),
    (0xFEFF, 0xFEFF),
    (0xFF01, 0xFF02),
    (0xFF04, 0xFF04),
    (0xFF06, 0xFF0E),
    (0xFF10, 0xFF19),
    (0xFF1B, 0xFF1B),
    (0xFF1D, 0xFF1D),
    (0xFF21, 0xFF3A),
    (0xFF3F, 0xFF5B),
    (0xFF5D, 0xFF5E),
    (0xFF61, 0xFF61),
    (0xFFA0, 0xFFA0),
    (0x107A5, 0x107A5),
    (0x1BCA0, 0x1BCA3),
    (0x1CCD6, 0x1CCF9),
    (0x1D173, 0x1D17A),
    (0x1D400, 0x1D454),
    (0x1D456, 0x1D49C),
    (0x1D49E, 0x1D49F),
    (0x1D4A2, 0x1D4A2),
    (0x1D4A5, 0x1D4A6),
    (0x1D4A9, 0x1D4AC),
    (0x1D4AE, 0x1D4B9),
    (0x1D4BB, 0x1D4BB),
    (0x1D4BD, 0x1D4C3),
    (0x1D4C5, 0x1D505),
    (0x1D507, 0x1D50A),
    (0x1D50D, 0x1D514),
    (0x1D516, 0x1D51C),
    (0x1D51E, 0x1D539),
    (0x1D53B, 0x1D53E),
    (0x1D540, 0x1D544),
    (0x1D546, 0x1D546),
    (0x1D54A, 0x1D550),
    (0x1D552, 0x1D6A3),
    (0x1D7CE, 0x1D7FF),
    (0x1F101, 0x1F10A),
    (0x1F110, 0x1F129),
    (0x1F12B, 0x1F12E),
    (0x1F130, 0x1F14F),
    (0x1F16A, 0x1F16C),
    (0x1F190, 0x1F190),
    (0x1FBF0, 0x1FBF9),
    (0xE0100, 0xE01EF),
)


def _utf8_regex(ranges: tuple[tuple[int, int], ...]) -> re.Pattern[bytes]:
    """One regex over UTF-8 bytes, as a trie: at each byte one class or one branch per
    byte, so a French accent or apostrophe is turned down after a byte or two."""
    trie: dict[int, Any] = {}
    for first, last in ranges:
        for code in range(first, last + 1):
            node = trie
            for byte in chr(code).encode("utf-8"):
                node = node.setdefault(byte, {})
    return re.compile(_node(trie))


def _node(node: dict[int, Any]) -> bytes:
    leaves = sorted(b for b, child in node.items() if not child)
    branches = [
        re.escape(bytes([b])) + b"(?:" + _node(child) + b")"
        for b, child in sorted(node.items())
        if child
    ]
    if leaves:
        branches.append(b"[" + b"".join(_spans(leaves)) + b"]")
    return b"|".join(branches)


def _spans(values: list[int]) -> list[bytes]:
    spans, start = [], values[0]
    for a, b in zip(values, [*values[1:], -1], strict=True):
        if b != a + 1:
            spans.append(b"\\x%02x-\\x%02x" % (start, a) if start != a else b"\\x%02x" % a)
            start = b
    return spans


#: Any of them, in UTF-8.
HOST_HIDING_UTF8 = _utf8_regex(HOST_HIDING)


def _generate() -> tuple[tuple[int, int], ...]:
    from ada_url import URL

    found: list[list[int]] = []
    for code in range(0x80, 0x110000):
        if 0xD800 <= code <= 0xDFFF:
            continue
        try:
            host = URL(f"https://a{chr(code)}b.example/").hostname
        except ValueError:
            continue
        if host.isascii() and "xn--" not in host:
            if found and found[-1][1] == code - 1:
                found[-1][1] = code
            else:
                found.append([code, code])
    return tuple((a, b) for a, b in found)


if __name__ == "__main__":
    for first, last in _generate():
        print(f"    (0x{first:04X}, 0x{last:04X}),")
