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
        """Undeclared cookies pass with one warning per name, or are blocked in strict mode."""
        gate = Gate(catalogue, None, strict=strict)
        name = f"undeclared_{strict}"
        with caplog.at_level(logging.WARNING, logger="consentkit"):
            assert gate.allows_cookie(name) is allowed
            assert gate.allows_cookie(name) is allowed
        warnings = [r for r in caplog.records if name in r.getMessage()]
        assert len(warnings) == 1
        assert gate.verdict(name) == "undeclared"
