"""Time TokenSigner.loads against the raw HMAC it can't avoid.

Targets (issue 13), against a bare ``hmac.new(key, msg, sha256).digest()`` +
``hmac.compare_digest`` on the same bytes: ``loads`` of a token seen for the first time
(verified and decoded) <= 3x; of a token the signer has already verified (a returning
visitor, the usual case) <= 0.5x. Beside the first, the floor of what a first read
can't skip, each part timed alone.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from _timing import per_call_ns

from consentkit import Catalogue, Consent, TokenSigner, tokens
from consentkit.consent import from_token

CATALOGUE = Path(__file__).resolve().parent.parent / "examples" / "plus-que-pro" / "catalogue.toml"
COLD_TARGET, WARM_TARGET = 3.0, 0.5


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

    payload = token.rpartition(".")[0].encode()
    raw = tokens._b64decode(payload)
    consent = signer.loads(token, catalogue)

    def rebuild() -> Consent:
        header = tokens._HEADER.unpack_from(raw)
        return from_token(
            header[2],
            consent.action,
            consent.purposes,
            consent.vendors,
            header[3],
            header[4],
            catalogue,
        )

    baseline = per_call_ns(raw_hmac)
    results = {
        "raw HMAC-SHA256 + compare": baseline,
        "loads, token seen before": per_call_ns(lambda: signer.loads(token, catalogue)),
        "loads, first time": per_call_ns(loads_first_time),
    }
    floor = baseline + per_call_ns(lambda: tokens._b64decode(payload)) + per_call_ns(rebuild)
    print(f"Consent token: {len(token)} bytes")
    for label, ns in results.items():
        ratio = "baseline" if ns is baseline else f"{ns / baseline:.2f}x raw HMAC"
        print(f"{label:<28} {ns / 1000:8.2f} µs   {ratio}")
    warm = results["loads, token seen before"] / baseline
    cold = results["loads, first time"] / baseline
    print(f"target warm <= {WARM_TARGET}x raw HMAC: {'met' if warm <= WARM_TARGET else 'MISSED'}")
    print(
        f"target cold <= {COLD_TARGET:.0f}x raw HMAC: {'met' if cold <= COLD_TARGET else 'MISSED'}"
    )
    print(
        f"  floor: HMAC, base64, the header unpacked and the Consent made (its id and times "
        f"left for later) alone: {floor / 1000:.2f} µs, {floor / baseline:.2f}x"
    )


if __name__ == "__main__":
    main()
