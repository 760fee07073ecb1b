"""Time consentkit's Cookie header parsing against the standard library's SimpleCookie.

Run ``python benchmarks/bench_cookies.py``. All three parsers read the same realistic
header in the same run, so the ratios hold on any machine even when the absolute
figures do not.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from _timing import per_call_ns

from consentkit.cookies import get_cookie, parse_cookie_header

CONSENT_COOKIE = "consentkit"


def realistic_header() -> str:
    """Return a ~600-byte Cookie header such as a site with analytics sends."""
    # A signed consent token: base64url payload, ".", base64url signature; 110 chars.
    token = (
        "eyJ2IjoxLCJwIjpbImFuYWx5dGljcyIsImFkcyJdLCJ2IjpbImdhIl0sInQiOjE3MDAwMDAwMDB9"
        ".ZkXq3p9vJmN0bGs4YzAbCdEfGhIjKlMnO"
    )
    cf_bm = "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789.-_aBcDeFgHiJk-1700000000-1.0.1.1-Ab12Cd34"
    pairs = [
        ("_ga", "GA1.1.1234567890.1700000000"),
        ("_ga_ABC123XYZ9", "GS1.1.1700000000.5.1.1700003600.0.0.0"),
        ("_gid", "GA1.2.987654321.1700000000"),
        ("_fbp", "fb.1.1700000000000.1234567890"),
        ("_gcl_au", "1.1.1234567890.1700000000"),
        ("_hjSessionUser_1234567", "eyJpZCI6IjEyMzQ1Njc4LTkwYWItY2RlZiIsImNyZWF0ZWQiOjE3MDB9"),
        ("__cf_bm", cf_bm),
        ("sessionid", "k3j4h5g6f7d8s9a0q1w2e3r4t5y6u7i8"),
        ("csrftoken", "Xy7Zq2Wv9Ut4Sr6Qp8On1Ml3Kj5Ih7Gf9Ed2Cb4Aa6Zz8Yy0Xx1Ww3Vv5Uu7Tt9"),
        (CONSENT_COOKIE, token),
        ("theme", "dark"),
        ("lang", "fr"),
    ]
    return "; ".join(f"{name}={value}" for name, value in pairs)


def simple_cookie(header: str) -> SimpleCookie:
    """Parse ``header`` the standard library's way."""
    cookie = SimpleCookie()
    cookie.load(header)
    return cookie


def main() -> None:
    """Print each parser's median time per call and its ratio to SimpleCookie."""
    header = realistic_header()
    assert get_cookie(header, CONSENT_COOKIE) == simple_cookie(header)[CONSENT_COOKIE].value
    assert parse_cookie_header(header) == {k: m.value for k, m in simple_cookie(header).items()}
    results = {
        "get_cookie": per_call_ns(lambda: get_cookie(header, CONSENT_COOKIE)),
        "parse_cookie_header": per_call_ns(lambda: parse_cookie_header(header)),
        "SimpleCookie.load": per_call_ns(lambda: simple_cookie(header)),
    }
    baseline = results["SimpleCookie.load"]
    print(f"Cookie header: {len(header)} bytes, {header.count(';') + 1} cookies")
    for label, ns in results.items():
        ratio = "baseline" if ns is baseline else f"{baseline / ns:.1f}x faster than SimpleCookie"
        print(f"{label:<20} {ns / 1000:8.2f} µs   {ratio}")


if __name__ == "__main__":
    main()
