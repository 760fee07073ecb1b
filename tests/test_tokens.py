from __future__ import annotations

import dataclasses
import pickle
import string
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from consentkit import (
    Catalogue,
    ConfigurationError,
    Consent,
    ExpiredToken,
    InvalidToken,
    StaleConsent,
    TokenError,
    TokenSigner,
)
from tests.helpers import OTHER_SECRET, SECRET
from tests.strategies import consents

NOW = datetime(2026, 8, 31, 10, 0, tzinfo=UTC)
B64URL = string.ascii_letters + string.digits + "-_"
PRIVATE = Ed25519PrivateKey.generate()


def big_catalogue(vendors: int) -> Catalogue:
    """A publisher's catalogue with as many optional vendors as a TCF site lists."""
    texts = {"en": "x"}
    return Catalogue.model_validate(
        {
            "revision": "big-1",
            "purposes": [
                {"id": f"p{i}", "name": texts, "description": texts, "essential": i == 0}
                for i in range(11)
            ],
            "vendors": [
                {
                    "id": f"vendor-{i:04d}",
                    "name": f"Vendor {i}",
                    "purposes": ["p1", "p2", "p3"],
                    "privacy_policy": "https://example.com/privacy",
                    "country": "DE",
                }
                for i in range(vendors)
            ],
        }
    )


@pytest.fixture(params=["hmac", "ed25519"])
def signer(request: pytest.FixtureRequest) -> TokenSigner:
    """A signer of each kind."""
    if request.param == "hmac":
        return TokenSigner([SECRET])
    return TokenSigner(private_key=PRIVATE)


class TestRoundTrip:
    @pytest.mark.parametrize("action", ["accept_all", "refuse_all", "custom"])
    def test_each_action(self, signer: TokenSigner, catalogue: Catalogue, action: str) -> None:
        """A token gives back the very decision it was made from."""
        consent = Consent.from_choice(catalogue, action, purposes=["audience"], now=NOW)
        assert signer.loads(signer.dumps(consent), catalogue, now=NOW) == consent

    @given(consents())
    def test_any_consent_of_any_catalogue(self, consent: Consent) -> None:
        """Every decision on every catalogue survives dumps/loads unchanged."""
        signer = TokenSigner([SECRET])
        token = signer.dumps(consent)
        assert signer.loads(token, consent.catalogue, now=consent.decided_at) == consent

    @given(consents())
    def test_read_consent_is_the_eager_one(self, consent: Consent) -> None:
        """A token's consent builds its id and times on first read: in every way a
        caller can look, it is the consent it was made from, whichever field comes first."""
        signer = TokenSigner([SECRET])
        token = signer.dumps(consent)
        now = consent.decided_at
        read = [signer.loads(token, consent.catalogue, now=now) for _ in range(4)]
        signer._verified.clear()
        assert read[0].expires_at == consent.expires_at  # a time read before anything else
        assert (read[1].id, read[1].action) == (consent.id, consent.action)
        assert repr(read[2]).startswith(f"Consent(id={consent.id!r}, action={consent.action!r}")
        assert f"revision={consent.revision!r})" in repr(read[2])
        assert hash(read[2]) == hash(consent)
        assert pickle.loads(pickle.dumps(read[3])) == consent  # noqa: S301  # our own bytes
        fresh = signer.loads(token, consent.catalogue, now=now)
        assert dataclasses.replace(fresh, revision=consent.revision) == consent
        assert consent.to_json() == signer.loads(token, consent.catalogue, now=now).to_json()
        with pytest.raises(AttributeError, match="no attribute 'colour'"):
            getattr(fresh, "colour")  # noqa: B009  # an unknown name is still an error

    def test_cookie_safe(self, signer: TokenSigner, catalogue: Catalogue) -> None:
        """Tokens are base64url and a dot: a cookie value needs no quoting."""
        token = signer.dumps(Consent.accept_all(catalogue))
        assert set(token) <= set(B64URL + ".")


class TestSize:
    def test_reference_catalogue_under_200_bytes(
        self, signer: TokenSigner, catalogue: Catalogue
    ) -> None:
        """The reference site's token is under 200 bytes, Ed25519 included."""
        assert len(signer.dumps(Consent.accept_all(catalogue))) < 200

    def test_thousand_vendors_fit_one_cookie(self) -> None:
        """A 1,000-vendor catalogue, all accepted, still fits a 4 KB cookie with its attributes."""
        catalogue = big_catalogue(1000)
        token = TokenSigner([SECRET]).dumps(Consent.accept_all(catalogue))
        cookie = f"consentkit={token}; Max-Age=15811200; Path=/; HttpOnly; SameSite=Lax; Secure"
        assert len(cookie) < 4096
        assert TokenSigner([SECRET]).loads(token, catalogue).vendors == {
            v.id for v in catalogue.vendors
        }


class TestKeys:
    def test_rotation(self, catalogue: Catalogue) -> None:
        """The newest key signs; older keys still verify until they are dropped."""
        consent = Consent.accept_all(catalogue)
        old_token = TokenSigner([OTHER_SECRET]).dumps(consent)
        rotated = TokenSigner([OTHER_SECRET, SECRET])
        assert rotated.loads(old_token, catalogue) == consent
        assert TokenSigner([SECRET]).loads(rotated.dumps(consent), catalogue) == consent
        with pytest.raises(InvalidToken, match="no known key"):
            TokenSigner([SECRET]).loads(old_token, catalogue)

    def test_foreign_key(self, catalogue: Catalogue) -> None:
        """A token from another site's key is no consent."""
        token = TokenSigner([OTHER_SECRET]).dumps(Consent.accept_all(catalogue))
        with pytest.raises(InvalidToken):
            TokenSigner([SECRET]).loads(token, catalogue)

    def test_salt_separates_contexts(self, catalogue: Catalogue) -> None:
        """The same key with another salt doesn't accept the token."""
        token = TokenSigner([SECRET]).dumps(Consent.accept_all(catalogue))
        with pytest.raises(InvalidToken):
            TokenSigner([SECRET], salt="other.context").loads(token, catalogue)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            pytest.param({}, "needs secret_keys", id="nothing"),
            pytest.param({"secret_keys": []}, "empty", id="empty-list"),
            pytest.param({"secret_keys": ["short"]}, r"secret_keys\[0\] is 5 bytes", id="weak"),
            pytest.param(
                {"secret_keys": [SECRET], "private_key": PRIVATE}, "not both", id="both-kinds"
            ),
            pytest.param(
                {"private_key": "not a key"}, "private_key can't be read", id="bad-ed25519"
            ),
            pytest.param({"public_keys": [b"\x00" * 7]}, r"public_keys\[0\]", id="bad-public"),
        ],
    )
    def test_bad_keys(self, kwargs: dict[str, Any], message: str) -> None:
        """Missing, weak or unreadable keys are refused at start-up, naming the key."""
        with pytest.raises(ConfigurationError, match=message):
            TokenSigner(**kwargs)

    def test_ed25519_verifier_cannot_sign(self, catalogue: Catalogue) -> None:
        """A service holding only the public key reads consent but can't forge it."""
        token = TokenSigner(private_key=PRIVATE).dumps(Consent.accept_all(catalogue))
        verifier = TokenSigner(public_keys=[PRIVATE.public_key()])
        assert verifier.loads(token, catalogue).action == "accept_all"
        assert not verifier.can_sign
        with pytest.raises(ConfigurationError, match="can't sign"):
            verifier.dumps(Consent.accept_all(catalogue))

    @pytest.mark.parametrize("form", ["pem", "raw", "b64"])
    def test_ed25519_key_forms(self, catalogue: Catalogue, form: str) -> None:
        """Keys may be PEM, 32 raw bytes, or their base64url text (as keygen prints)."""
        raw = PRIVATE.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        pem = PRIVATE.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        keys: dict[str, str | bytes] = {"pem": pem, "raw": raw, "b64": _b64(raw)}
        key = keys[form]
        token = TokenSigner(private_key=key).dumps(Consent.accept_all(catalogue))
        assert TokenSigner(private_key=PRIVATE).loads(token, catalogue).action == "accept_all"

    def test_hmac_token_to_ed25519_verifier(self, catalogue: Catalogue) -> None:
        """A token of the other scheme is invalid, and says why."""
        token = TokenSigner([SECRET]).dumps(Consent.accept_all(catalogue))
        with pytest.raises(InvalidToken, match="Ed25519 has 86"):
            TokenSigner(private_key=PRIVATE).loads(token, catalogue)


class TestExpiry:
    def test_accepted_lasts_six_calendar_months(
        self, signer: TokenSigner, catalogue: Catalogue
    ) -> None:
        """An acceptance given on 31 August is read until 28 February, not after."""
        token = signer.dumps(Consent.accept_all(catalogue, now=NOW))
        end = datetime(2027, 2, 28, 10, 0, tzinfo=UTC)
        assert signer.loads(token, catalogue, now=end - timedelta(seconds=1))
        with pytest.raises(ExpiredToken) as info:
            signer.loads(token, catalogue, now=end)
        assert info.value.expires_at == end

    def test_refusal_lasts_three_calendar_months(
        self, signer: TokenSigner, catalogue: Catalogue
    ) -> None:
        """A refusal given on 31 August is asked again on 30 November."""
        token = signer.dumps(Consent.refuse_all(catalogue, now=NOW))
        end = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
        assert signer.loads(token, catalogue, now=end - timedelta(seconds=1))
        with pytest.raises(ExpiredToken):
            signer.loads(token, catalogue, now=end)

    def test_expiry_applies_after_a_cached_read(self, catalogue: Catalogue) -> None:
        """A token read once is still refused once it expires."""
        signer = TokenSigner([SECRET])
        token = signer.dumps(Consent.refuse_all(catalogue, now=NOW))
        assert signer.loads(token, catalogue, now=NOW)
        with pytest.raises(ExpiredToken):
            signer.loads(token, catalogue, now=NOW + timedelta(days=100))


class TestStale:
    def test_revision_change_asks_again(self, data: dict[str, Any], catalogue: Catalogue) -> None:
        """A decision given under another revision is stale, and says which."""
        signer = TokenSigner([SECRET])
        token = signer.dumps(Consent.accept_all(catalogue))
        assert signer.loads(token, catalogue)  # read once, so it is cached
        data["revision"] = "2027-01-01"
        with pytest.raises(StaleConsent) as info:
            signer.loads(token, Catalogue.model_validate(data))
        assert info.value.revision == "2026-11-01"

    def test_new_optional_vendor_asks_again(
        self, data: dict[str, Any], catalogue: Catalogue
    ) -> None:
        """A vendor added without a new revision still can't inherit an old consent."""
        token = TokenSigner([SECRET]).dumps(Consent.accept_all(catalogue))
        data["vendors"].append(dict(data["vendors"][0], id="matomo", name="Matomo"))
        with pytest.raises(StaleConsent, match="changed"):
            TokenSigner([SECRET]).loads(token, Catalogue.model_validate(data))


class TestTampering:
    def test_every_single_character_change_is_refused(self, catalogue: Catalogue) -> None:
        """Changing any one character of a token, to any base64url character, is detected."""
        signer = TokenSigner([SECRET])
        token = signer.dumps(Consent.custom(catalogue, purposes=[]))
        for i in range(len(token)):
            for char in B64URL + ".":
                if char == token[i]:
                    continue
                forged = token[:i] + char + token[i + 1 :]
                with pytest.raises(TokenError):
                    signer.loads(forged, catalogue)

    @given(st.data())
    def test_any_mutation_is_refused(self, data: st.DataObject) -> None:
        """Inserting, deleting or replacing characters never yields an accepted token."""
        from tests.helpers import EXAMPLE_CATALOGUE

        catalogue = Catalogue.from_file(EXAMPLE_CATALOGUE)
        signer = TokenSigner([SECRET])
        token = signer.dumps(Consent.accept_all(catalogue))
        i = data.draw(st.integers(0, len(token)))
        kind = data.draw(st.sampled_from(["insert", "delete", "replace"]))
        char = data.draw(st.characters())
        forged = {
            "insert": token[:i] + char + token[i:],
            "delete": token[:i] + token[i + 1 :],
            "replace": token[:i] + char + token[i + 1 :],
        }[kind]
        if forged == token:
            return
        with pytest.raises(TokenError):
            signer.loads(forged, catalogue)

    @given(st.text(max_size=300) | st.from_regex(r"\A[A-Za-z0-9_-]{0,90}\.[A-Za-z0-9_-]{0,90}\Z"))
    def test_garbage_raises_only_token_errors(self, text: str) -> None:
        """Any text is refused with a TokenError and nothing else."""
        from tests.helpers import EXAMPLE_CATALOGUE

        catalogue = Catalogue.from_file(EXAMPLE_CATALOGUE)
        with pytest.raises(TokenError):
            TokenSigner([SECRET]).loads(text, catalogue)

    @pytest.mark.parametrize(
        ("token", "message"),
        [
            pytest.param("", "expected <payload>.<signature>", id="empty"),
            pytest.param("abc", "expected <payload>.<signature>", id="no-dot"),
            pytest.param("x" * 5000, "over 4096", id="huge"),
            pytest.param("é.é", "outside base64url", id="non-ascii"),
            pytest.param("AQ.short", "HMAC-SHA256 has 43", id="short-signature"),
        ],
    )
    def test_malformed_says_why(self, catalogue: Catalogue, token: str, message: str) -> None:
        """A malformed token's error says what is wrong with it."""
        with pytest.raises(InvalidToken, match=message):
            TokenSigner([SECRET]).loads(token, catalogue)


class TestRead:
    @pytest.mark.parametrize(
        "make",
        [
            pytest.param(lambda c: None, id="no-cookie"),
            pytest.param(lambda c: "junk", id="junk"),
            pytest.param(
                lambda c: TokenSigner([OTHER_SECRET]).dumps(Consent.accept_all(c)), id="foreign"
            ),
            pytest.param(
                lambda c: TokenSigner([SECRET]).dumps(
                    Consent.accept_all(c, now=datetime(2020, 1, 1, tzinfo=UTC))
                ),
                id="expired",
            ),
        ],
    )
    def test_any_problem_is_no_consent(self, catalogue: Catalogue, make: Any) -> None:
        """read() fails closed: every problem gives None, never an exception."""
        assert TokenSigner([SECRET]).read(make(catalogue), catalogue) is None

    def test_valid(self, catalogue: Catalogue) -> None:
        """read() gives the consent of a valid token."""
        signer = TokenSigner([SECRET])
        consent = Consent.accept_all(catalogue)
        assert signer.read(signer.dumps(consent), catalogue) == consent


def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
