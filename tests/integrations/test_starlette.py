"""Starlette and FastAPI: `add_middleware(ASGIConsentMiddleware, config=...)` as it is."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable
from types import ModuleType
from typing import Annotated, Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from consentkit import ASGIConsentMiddleware, Catalogue, Consent, ConsentConfig
from consentkit.integrations.starlette import consent_dependency
from consentkit.testing import assert_no_tracking, assert_tracking_allowed
from tests.helpers import SECRET
from tests.integrations.conftest import EXAMPLES, GTAG_INERT, GTAG_LIVE


class ASGIClient:
    """Starlette's TestClient, minus its thread: httpx's ASGI transport, one loop per request.

    (Starlette's own TestClient now asks for ``httpx2``; the responses are the same kind.)
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        async def go() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                return await c.get(path, **kwargs)

        return asyncio.run(go())


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fastapi_example_app", EXAMPLES / "fastapi_app" / "app.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def example() -> ModuleType:
    return load_example()


@pytest.fixture
def consentkit_config(example: ModuleType) -> ConsentConfig:
    return example.CONFIG  # type: ignore[no-any-return]


@pytest.fixture
def client(example: ModuleType) -> ASGIClient:
    return ASGIClient(example.app)


class TestFastAPIExample:
    def test_ga_neutralised_before_consent(
        self, client: ASGIClient, consentkit_catalogue: Catalogue
    ) -> None:
        """Without consent, the FastAPI page has gtag.js inert and the banner's loader."""
        response = client.get("/")
        assert GTAG_LIVE not in response.text
        assert GTAG_INERT in response.text
        assert "consentkit-config" in response.text
        assert_no_tracking(response, consentkit_catalogue)

    def test_ga_cookie_dropped_before_consent(self, client: ASGIClient) -> None:
        """The handler's own `Set-Cookie: _ga` is dropped without consent."""
        assert client.get("/mon-compte").headers.get_list("set-cookie") == []

    def test_intact_after_accept(
        self,
        client: ASGIClient,
        consentkit_cookie_header: Callable[..., str],
        consentkit_catalogue: Catalogue,
    ) -> None:
        """After "Tout accepter", gtag.js is live and `_ga` is set."""
        response = client.get("/mon-compte", headers={"Cookie": consentkit_cookie_header()})
        assert GTAG_LIVE in response.text
        assert any(c.startswith("_ga=") for c in response.headers.get_list("set-cookie"))
        assert_tracking_allowed(response, consentkit_catalogue, vendors=["google-analytics"])

    def test_dependency_gives_the_consent(
        self, client: ASGIClient, consentkit_cookie_header: Callable[..., str]
    ) -> None:
        """Handlers get the visitor's decision through Depends(consent_dependency)."""
        assert client.get("/whoami").json() == {"consent": None}
        custom = consentkit_cookie_header("custom", purposes=["audience"])
        assert client.get("/whoami", headers={"Cookie": custom}).json() == {"consent": "custom"}

    def test_bad_token_is_no_consent(
        self, client: ASGIClient, consentkit_cookie_header: Callable[..., str]
    ) -> None:
        """Expired and stale cookies give handlers no consent, and GA stays inert."""
        for cookie in (
            consentkit_cookie_header(expired=True),
            consentkit_cookie_header(revision="2020-01-01"),
        ):
            assert client.get("/whoami", headers={"Cookie": cookie}).json() == {"consent": None}
            assert GTAG_INERT in client.get("/", headers={"Cookie": cookie}).text


class TestPlainStarlette:
    def test_add_middleware_and_dependency(self, catalogue: Catalogue) -> None:
        """A plain Starlette app takes the middleware as is; the dependency reads its request."""

        async def whoami(request: Request) -> PlainTextResponse:
            consent = consent_dependency(request)
            return PlainTextResponse(consent.action.value if consent else "none")

        app = Starlette(routes=[Route("/", whoami)])
        config = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET])
        app.add_middleware(ASGIConsentMiddleware, config=config)
        client = ASGIClient(app)
        assert client.get("/").text == "none"
        cookie = f"consentkit={config.signer.dumps(Consent.accept_all(catalogue))}"
        assert client.get("/", headers={"Cookie": cookie}).text == "accept_all"

    def test_dependency_without_middleware_fails_closed(self) -> None:
        """Without the middleware in front, handlers see no consent at all."""
        app = FastAPI()

        @app.get("/")
        def whoami(consent: Annotated[Consent | None, Depends(consent_dependency)]) -> str:
            return "none" if consent is None else "some"

        assert ASGIClient(app).get("/").json() == "none"
