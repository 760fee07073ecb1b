"""pytest fixtures for a site's cookie-consent tests, loaded by the ``pytest11`` entry point.

Installing consentkit makes these fixtures available in every test suite. They need
to know the site's configuration (its catalogue, and the keys its tokens are signed
with), so override one fixture in ``conftest.py``:

.. code-block:: python

    @pytest.fixture
    def consentkit_config():
        return app.extensions["consentkit"].config     # Flask
        # return consentkit.integrations.django.get_engine().config   # Django

Then, in tests:

.. code-block:: python

    def test_ga_waits_for_consent(client, consentkit_cookie_header, consentkit_catalogue):
        assert_no_tracking(client.get("/"), consentkit_catalogue)
        cookie = consentkit_cookie_header("accept_all")
        accepted = client.get("/", headers={"Cookie": cookie})
        assert_tracking_allowed(accepted, consentkit_catalogue, vendors=["google-analytics"])

The other fixtures are taken from ``consentkit_config``: ``consentkit_catalogue`` is its
catalogue, ``consentkit_cookie_header`` and ``consentkit_consent`` are
:func:`consentkit.testing.consent_cookie_header` and :func:`consentkit.testing.make_consent`
with it given.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import pytest

from consentkit.catalogue import Catalogue
from consentkit.config import ConsentConfig
from consentkit.consent import Consent
from consentkit.testing import consent_cookie_header as _consent_cookie_header
from consentkit.testing import make_consent as _make_consent

__all__ = [
    "consentkit_catalogue",
    "consentkit_config",
    "consentkit_consent",
    "consentkit_cookie_header",
]


@pytest.fixture
def consentkit_config() -> ConsentConfig:
    """The site's :class:`~consentkit.ConsentConfig`: override it in ``conftest.py``.

    There is no sensible default: cookies must be signed with the very keys the
    site verifies, and checked against its own catalogue.
    """
    pytest.fail(
        "consentkit's fixtures need your site's configuration: define a "
        "`consentkit_config` fixture in conftest.py returning its ConsentConfig",
        pytrace=False,
    )


@pytest.fixture
def consentkit_catalogue(consentkit_config: ConsentConfig) -> Catalogue:
    """The site's catalogue, for ``assert_no_tracking`` and ``assert_tracking_allowed``."""
    return consentkit_config.catalogue


@pytest.fixture
def consentkit_cookie_header(consentkit_config: ConsentConfig) -> Callable[..., str]:
    """Make ``Cookie`` header values for a choice: ``consentkit_cookie_header("refuse_all")``.

    Takes :func:`consentkit.testing.consent_cookie_header`'s arguments after the config,
    whose keys sign the token, so the site reads it as the visitor's choice.
    """
    return functools.partial(_consent_cookie_header, consentkit_config)


@pytest.fixture
def consentkit_consent(consentkit_config: ConsentConfig) -> Callable[..., Consent]:
    """Make :class:`~consentkit.Consent` objects for a choice, to pass to the assertions.

    Takes :func:`consentkit.testing.make_consent`'s arguments after the catalogue.
    """
    return functools.partial(_make_consent, consentkit_config.catalogue)
