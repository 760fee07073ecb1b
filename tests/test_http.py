"""The request facts the WSGI, ASGI and Django adapters share (consentkit._http)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consentkit._http import (
    declared_length,
    environ_client,
    environ_headers,
    environ_host,
    scope_client,
    scope_headers,
    scope_host,
)


def as_environ(headers: list[tuple[str, str]], server: tuple[str, int], scheme: str) -> Any:
    environ: dict[str, Any] = {
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1]),
        "wsgi.url_scheme": scheme,
        "REMOTE_ADDR": "203.0.113.9",
    }
    for name, value in headers:
        key = "CONTENT_TYPE" if name == "content-type" else "HTTP_" + name.upper().replace("-", "_")
        environ[key] = value
    return environ


def as_scope(headers: list[tuple[str, str]], server: tuple[str, int], scheme: str) -> Any:
    return {
        "headers": [(n.encode(), v.encode()) for n, v in headers],
        "server": server,
        "scheme": scheme,
        "client": ("203.0.113.9", 51000),
    }


class TestSameFactsEitherWay:
    @pytest.mark.parametrize(
        ("headers", "server", "scheme", "host"),
        [
            pytest.param([("host", "shop.example")], ("10.0.0.1", 8000), "http", "shop.example"),
            pytest.param([], ("shop.example", 80), "http", "shop.example", id="default-port"),
            pytest.param([], ("shop.example", 443), "https", "shop.example", id="default-tls"),
            pytest.param([], ("shop.example", 8443), "https", "shop.example:8443", id="port"),
            pytest.param([], ("shop.example", 443), "http", "shop.example:443", id="tls-on-http"),
        ],
    )
    def test_host(
        self, headers: list[tuple[str, str]], server: tuple[str, int], scheme: str, host: str
    ) -> None:
        """WSGI (and Django's META) and ASGI give the same host: the header, or the
        server's name with a port only when it isn't the scheme's."""
        environ, scope = as_environ(headers, server, scheme), as_scope(headers, server, scheme)

        assert (environ_host(environ), scope_host(scope, scope_headers(scope))) == (host, host)

    def test_headers_and_client(self) -> None:
        """Headers by lower-case name, and the client's address, alike."""
        headers = [("content-type", "application/json"), ("origin", "https://shop.example")]
        environ = as_environ(headers, ("shop.example", 80), "http")
        scope = as_scope(headers, ("shop.example", 80), "http")

        assert (environ_headers(environ), environ_client(environ)) == (
            scope_headers(scope),
            scope_client(scope),
        )

    def test_repeated_cookie_headers_joined(self) -> None:
        """HTTP/2 sends each cookie in its own header: they are one Cookie header again."""
        scope = {"headers": [(b"cookie", b"a=1"), (b"Cookie", b"b=2"), (b"accept", b"x")]}

        assert scope_headers(scope) == {"cookie": "a=1; b=2", "accept": "x"}

    def test_no_client(self) -> None:
        """A server that doesn't say who called says nothing."""
        assert (environ_client({}), scope_client({}), scope_client({"client": None})) == (
            None,
            None,
            None,
        )


class TestDeclaredLength:
    @pytest.mark.parametrize(
        ("value", "length"),
        [
            ("12", 12),
            (" 12 ", 12),
            ("0", 0),
            (None, None),
            ("", None),
            ("-3", None),
            ("1e3", None),
            ("²", None),
            ("１２", None),
        ],
    )
    def test_values(self, value: str | None, length: int | None) -> None:
        """A length, or None for a body to read to its end (chunked) or refuse."""
        assert declared_length(value) == length

    @given(st.text())
    def test_never_raises(self, value: str) -> None:
        """Any header value is a length or None, never an error."""
        length = declared_length(value)

        assert length is None or length >= 0
