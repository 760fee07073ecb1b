"""Time TokenSigner.loads against the raw HMAC it can't avoid.

Target (issue 2): ``loads`` of a reference-catalogue token <= 3x a bare
``hmac.new(key, msg, sha256).digest()`` + ``hmac.compare_digest`` on the same bytes.
Two figures for ``loads``: a token seen for the first time (verified and decoded),
and a token the signer has already verified (a returning visitor, the usual case).
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from _timing import per_call_ns

from consentkit import Catalogue, Consent, TokenSigner

CATALOGUE = Path(__file__).resolve().parent.parent / "examples" / "plus-que-pro" / "catalogue.toml"
TARGET_RATIO = 3.0


def main() -> None:
    """Print the median time of each and the ratios to raw HMAC."""
    catalogue = Catalogue.from_file(CATALOGUE)
    signer = TokenSigner(["bench-key-0123456789abcdef-0123456789"])
    token = signer.dumps(Consent.custom(catalogue, purposes=["audience"]))
    key, message, signature = b"k" * 32, token.encode(), b"s" * 32

    def raw_hmac() -> bool:
        return hmac.compare_digest(hmac.new(key, message, hashlib.sha256).digest(), signature)

    def loads_first_time() -> Consent:
        signer._verified.clear()  # what a token never seen before costs
        return signer.loads(token, catalogue)

    baseline = per_call_ns(raw_hmac)
    results = {
        "raw HMAC-SHA256 + compare": baseline,
        "loads, token seen before": per_call_ns(lambda: signer.loads(token, catalogue)),
        "loads, first time": per_call_ns(loads_first_time),
    }
    print(f"Consent token: {len(token)} bytes")
    for label, ns in results.items():
        ratio = "baseline" if ns is baseline else f"{ns / baseline:.2f}x raw HMAC"
        print(f"{label:<28} {ns / 1000:8.2f} µs   {ratio}")
    seen = results["loads, token seen before"] / baseline
    verdict = "met" if seen <= TARGET_RATIO else "MISSED"
    print(f"target loads <= {TARGET_RATIO:.0f}x raw HMAC for a returning visitor: {verdict}")


if __name__ == "__main__":
    main()
