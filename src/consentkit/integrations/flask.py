"""Flask: the ``ConsentKit`` extension, configured from ``app.config``.

.. code-block:: python

    app = Flask(__name__)
    app.config["CONSENTKIT_CATALOGUE"] = "catalogue.toml"
    app.config["CONSENTKIT_SECRET_KEYS"] = [os.environ["CONSENTKIT_SECRET_KEY"]]
    ConsentKit(app)

The extension wraps ``app.wsgi_app`` in :class:`~consentkit.WSGIConsentMiddleware`,
so enforcement is the WSGI middleware's, byte for byte, and covers every response
Flask sends, error pages included. Views read the visitor's decision with
:func:`current_consent`; templates get ``consent`` and ``vendor_allowed(id)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request

from consentkit.config import ConsentConfig
from consentkit.consent import Consent
from consentkit.engine import get_consent
from consentkit.gate import Gate
from consentkit.integrations import SETTINGS, config_from_settings
from consentkit.wsgi import WSGIConsentMiddleware

__all__ = ["CONFIG_PREFIX", "ConsentKit", "current_consent", "current_gate"]

#: ``app.config`` keys are ``ConsentConfig``'s field names, upper-cased, after this.
CONFIG_PREFIX = "CONSENTKIT_"
_EXTENSION = "consentkit"


@dataclass(frozen=True, slots=True)
class _State:
    """What ``app.extensions["consentkit"]`` holds."""

    config: ConsentConfig
    middleware: WSGIConsentMiddleware


class ConsentKit:
    """The Flask extension: ``ConsentKit(app)``, or ``ConsentKit()`` then ``init_app(app)``.

    Settings come from ``app.config``: ``CONSENTKIT_CATALOGUE`` (a path or a
    :class:`~consentkit.Catalogue`) and ``CONSENTKIT_SECRET_KEYS`` (oldest to newest)
    are required; every other :class:`~consentkit.ConsentConfig` field may be given
    the same way (``CONSENTKIT_COOKIE_SECURE``, ``CONSENTKIT_CONSENT_MODE``...). They are
    read and validated once, in :meth:`init_app`: a bad setting stops the start-up
    with a :class:`~consentkit.ConfigurationError`, it never fails a request.

    :param config: a ready :class:`~consentkit.ConsentConfig`, instead of ``app.config``.
    """

    def __init__(self, app: Flask | None = None, *, config: ConsentConfig | None = None) -> None:
        self.config = config
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Wrap ``app.wsgi_app`` and register the template helpers.

        :raises ConfigurationError: when ``app.config`` has no valid configuration, or
            an unknown ``CONSENTKIT_*`` key (a typo must not fall back to defaults).
        """
        if _EXTENSION in app.extensions:
            raise RuntimeError("ConsentKit is already set up on this app")
        config = self.config or config_from_app(app)
        middleware = WSGIConsentMiddleware(app.wsgi_app, config)
        app.wsgi_app = middleware  # type: ignore[method-assign]
        app.extensions[_EXTENSION] = _State(config, middleware)
        app.context_processor(_template_context)


def config_from_app(app: Flask) -> ConsentConfig:
    """The :class:`~consentkit.ConsentConfig` that ``app.config``'s ``CONSENTKIT_*`` keys give."""
    settings: dict[str, Any] = {}
    known = {CONFIG_PREFIX + name.upper(): name for name in SETTINGS}
    for key, value in app.config.items():
        if key.startswith(CONFIG_PREFIX):
            # Unknown keys are passed on under their own name, to be reported as such.
            settings[known.get(key, key)] = value
    return config_from_settings(settings, "app.config (CONSENTKIT_*)")


def current_consent() -> Consent | None:
    """The visitor's valid consent for the request being handled, or ``None``.

    ``None`` also before any choice, and for an expired, tampered or stale token:
    treat it as "ask". Only works inside a request, like :data:`flask.request`.
    """
    return get_consent(request.environ)


def current_gate() -> Gate:
    """What the current visitor's consent lets through, for vendors and purposes.

    Unlike :func:`current_consent`, a gate knows the catalogue, so it answers
    ``True`` for essential vendors even before any choice.
    """
    state: _State = current_app.extensions[_EXTENSION]
    config = state.config
    return Gate(config.catalogue, current_consent(), strict=config.strict)


def _template_context() -> dict[str, Any]:
    """``consent`` and ``vendor_allowed(id)`` in every template."""
    return {"consent": current_consent(), "vendor_allowed": _vendor_allowed}


def _vendor_allowed(vendor_id: str) -> bool:
    return current_gate().allows_vendor(vendor_id)
