from __future__ import annotations

from typing import Any

import pytest

from consentkit import Catalogue, ConfigurationError, ConsentConfig, TokenSigner
from tests.helpers import EXAMPLE_CATALOGUE, SECRET


class TestConsentConfig:
    def test_defaults(self, catalogue: Catalogue) -> None:
        """Secure, host-only `consentkit` cookie under /_consentkit, not strict."""
        config = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET])
        assert (config.cookie_name, config.cookie_secure, config.cookie_domain) == (
            "consentkit",
            True,
            None,
        )
        assert (config.mount_path, config.strict, config.max_body) == ("/_consentkit", False, 16384)
        assert config.signer.can_sign

    def test_catalogue_path(self) -> None:
        """A catalogue may be given as the path of its file."""
        config = ConsentConfig(catalogue=EXAMPLE_CATALOGUE, secret_keys=[SECRET])
        assert isinstance(config.catalogue, Catalogue)

    def test_signer_instead_of_keys(self, catalogue: Catalogue) -> None:
        """An Ed25519 signer can replace the HMAC keys."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        signer = TokenSigner(private_key=Ed25519PrivateKey.generate())
        assert ConsentConfig(catalogue=catalogue, signer=signer).signer is signer

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            pytest.param({}, "secret_keys is empty", id="no-keys"),
            pytest.param(
                {"secret_keys": [SECRET], "cookie_name": "my cookie"},
                "not a valid cookie name",
                id="cookie-name",
            ),
            pytest.param(
                {"secret_keys": [SECRET], "mount_path": "/consent/"},
                "mount_path",
                id="trailing-slash",
            ),
            pytest.param(
                {"secret_keys": [SECRET], "mount_path": "consent"}, "mount_path", id="relative"
            ),
            pytest.param(
                {"secret_keys": [SECRET], "cookie_domain": "exa mple.com"},
                "not a domain",
                id="domain",
            ),
            pytest.param({"secret_keys": [SECRET], "max_body": 10}, "too small", id="max-body"),
        ],
    )
    def test_problems_are_named(
        self, catalogue: Catalogue, kwargs: dict[str, Any], message: str
    ) -> None:
        """Every bad setting is refused at start-up, by name."""
        if (
            "cookie_name" in kwargs
            or "mount_path" in kwargs
            or "cookie_domain" in kwargs
            or "max_body" in kwargs
        ):
            kwargs = {"secret_keys": [SECRET], **kwargs}
        with pytest.raises(ConfigurationError, match=message):
            ConsentConfig(catalogue=catalogue, **kwargs)

    def test_verify_only_signer_refused(self, catalogue: Catalogue) -> None:
        """The middleware must sign choices: a public-key-only signer won't do."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        verifier = TokenSigner(public_keys=[Ed25519PrivateKey.generate().public_key()])
        with pytest.raises(ConfigurationError, match="only public keys"):
            ConsentConfig(catalogue=catalogue, signer=verifier)

    def test_all_problems_together(self, catalogue: Catalogue) -> None:
        """Several bad settings are reported together."""
        with pytest.raises(ConfigurationError) as info:
            ConsentConfig(
                catalogue=catalogue, secret_keys=[SECRET], cookie_name="a b", mount_path="x"
            )
        assert len(info.value.problems) == 2
