"""Starlette and FastAPI: the ASGI middleware as it is, and a dependency for handlers.

.. code-block:: python

    app = FastAPI()
    app.add_middleware(ASGIConsentMiddleware, config=config)

    @app.get("/")
    def home(consent: Annotated[Consent | None, Depends(consent_dependency)]) -> ...: ...

:class:`~consentkit.ASGIConsentMiddleware` needs no adapter: Starlette's
``add_middleware`` builds it with the app and ``config=``. This module only gives
handlers the consent the middleware read, the way FastAPI gives everything else.
It imports Starlette only, so it also serves plain Starlette apps (call the
functions with the ``request``).
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

from consentkit.consent import Consent
from consentkit.engine import get_consent

__all__ = ["consent_dependency"]


def consent_dependency(connection: HTTPConnection) -> Consent | None:
    """The visitor's valid consent, or ``None``: a FastAPI dependency.

    ``None`` before any choice and for any token that isn't valid (expired,
    tampered, stale): treat it as "ask". Without :class:`ASGIConsentMiddleware` in
    front of the app it is always ``None``, which fails closed.
    """
    return get_consent(connection.scope)
