from __future__ import annotations

import logging

import pytest

from consentkit import Catalogue, Consent, Gate


class TestGate:
    def test_no_consent_lets_only_essentials_through(self, catalogue: Catalogue) -> None:
        """Without a consent, only strictly necessary purposes, vendors and cookies pass."""
        gate = Gate(catalogue, None)
        assert gate.allows_purpose("security")
        assert not gate.allows_purpose("audience")
        assert gate.allows_vendor("google-recaptcha")
        assert not gate.allows_vendor("google-analytics")
        assert gate.allowed_vendors == {"google-recaptcha", "didomi"}
        assert gate.verdict("_ga") == "deny"
        assert gate.verdict("didomi_token") == "allow"

    def test_follows_the_consent(self, catalogue: Catalogue) -> None:
        """With a consent, the gate answers as the consent does."""
        gate = Gate(catalogue, Consent.accept_all(catalogue))
        assert gate.allowed_vendors == {"google-analytics", "google-recaptcha", "didomi"}
        assert gate.verdict("_ga_ABC") == "allow"

    @pytest.mark.parametrize(("strict", "allowed"), [(False, True), (True, False)])
    def test_undeclared_cookies(
        self, catalogue: Catalogue, strict: bool, allowed: bool, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Undeclared cookies pass, or are blocked in strict mode; the gate itself says
        nothing (it is pure), and a consent follows the same rule."""
        gate = Gate(catalogue, None, strict=strict)
        name = f"undeclared_{strict}"
        with caplog.at_level(logging.WARNING, logger="consentkit"):
            assert gate.allows_cookie(name) is allowed
        assert caplog.records == []
        assert gate.verdict(name) == "undeclared"
        for consent in (Consent.accept_all(catalogue), Consent.refuse_all(catalogue)):
            assert consent.allows_cookie(name, strict=strict) is allowed
            assert Gate(catalogue, consent, strict=strict).allows_cookie(name) is allowed
        assert not Consent.accept_all(catalogue).allows_cookie(name)  # strict by default
