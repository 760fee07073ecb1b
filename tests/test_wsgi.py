"""PEP 3333 details of the WSGI middleware, called directly."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

import consentkit.wsgi
from consentkit import Catalogue, ConsentConfig, WSGIConsentMiddleware
from tests import apps
from tests.helpers import SECRET


def environ(path: str = "/", **extra: Any) -> dict[str, Any]:
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "shop.example.com",
        "SERVER_PORT": "80",
        "HTTP_HOST": "shop.example.com",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
    }
    env.update(extra)
    return env


class Recorder:
    """A server's start_response, recording what it is given."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]], Any]] = []
        self.written: list[bytes] = []

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        if exc_info is not None and self.calls and self.calls[-1][0] == "sent":
            raise exc_info[1].with_traceback(exc_info[2])
        self.calls.append((status, headers, exc_info))
        return self.written.append


@pytest.fixture
def wrap(catalogue: Catalogue) -> Callable[[Any], WSGIConsentMiddleware]:
    config = ConsentConfig(catalogue=catalogue, secret_keys=[SECRET])
    return lambda app: WSGIConsentMiddleware(app, config)


class ClosingBody:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.closed = True


class TestPep3333:
    def test_close_reaches_the_app(self, wrap: Callable[[Any], WSGIConsentMiddleware]) -> None:
        """The app iterable's close() is called when the server closes ours."""
        body = ClosingBody([apps.PAGE])

        def app(env: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
            start("200 OK", [("Content-Type", "text/html")])
            return body

        result = wrap(app)(environ(), Recorder())
        b"".join(result)
        result.close()  # type: ignore[attr-defined]
        assert body.closed

    def test_untouched_responses_return_the_apps_iterable(
        self, wrap: Callable[[Any], WSGIConsentMiddleware]
    ) -> None:
        """Nothing to rewrite: the app's own iterable (a file_wrapper, say) is handed over."""
        body = ClosingBody([b"{}"])

        def app(env: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
            start("200 OK", [("Content-Type", "application/json")])
            return body

        assert wrap(app)(environ(), Recorder()) is body

    def test_write_callable_is_rewritten(
        self, wrap: Callable[[Any], WSGIConsentMiddleware]
    ) -> None:
        """Bytes sent through the legacy write() are rewritten like the iterable's."""

        def app(env: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
            write = start("200 OK", [("Content-Type", "text/html")])
            write(apps.PAGE[:50])
            write(apps.PAGE[50:])
            return []

        recorder = Recorder()
        tail = b"".join(wrap(app)(environ(), recorder))
        out = b"".join(recorder.written) + tail
        assert b'data-consentkit-src="https://www.googletagmanager.com' in out

    def test_lazy_start_response(self, wrap: Callable[[Any], WSGIConsentMiddleware]) -> None:
        """An app that calls start_response inside its generator is still rewritten."""

        def app(env: dict[str, Any], start: Callable[..., Any]) -> Iterator[bytes]:
            start("200 OK", [("Content-Type", "text/html"), ("Set-Cookie", apps.GA_COOKIE)])
            yield apps.PAGE

        recorder = Recorder()
        out = b"".join(wrap(app)(environ(), recorder))
        assert b"data-consentkit-src" in out
        assert all(name.lower() != "set-cookie" for name, _ in recorder.calls[0][1])

    def test_yields_for_every_app_yield(self, wrap: Callable[[Any], WSGIConsentMiddleware]) -> None:
        """The middleware never swallows an iteration: one out for one in, b"" if need be."""
        chunks = [apps.PAGE[i : i + 7] for i in range(0, len(apps.PAGE), 7)]

        def app(env: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
            start("200 OK", [("Content-Type", "text/html")])
            return chunks

        out = list(wrap(app)(environ(), Recorder()))
        assert len(out) in (len(chunks), len(chunks) + 1)

    def test_exc_info_replaces_headers(self, wrap: Callable[[Any], WSGIConsentMiddleware]) -> None:
        """An app may start again with exc_info before sending; the error page is filtered too."""

        def app(env: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
            start("200 OK", [("Content-Type", "application/json")])
            try:
                raise RuntimeError("boom")
            except RuntimeError:
                start("500 Error", [("Content-Type", "text/html")], sys.exc_info())
            return [apps.PAGE]

        recorder = Recorder()
        out = b"".join(wrap(app)(environ(), recorder))
        assert recorder.calls[-1][0] == "500 Error"
        assert recorder.calls[-1][2] is not None
        assert b"data-consentkit-src" in out

    def test_consent_in_environ(self, wrap: Callable[[Any], WSGIConsentMiddleware]) -> None:
        """The app finds the consent (None here) at environ['consentkit.consent']."""
        seen: dict[str, Any] = {}

        def app(env: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
            seen.update(env)
            start("200 OK", [])
            return [b""]

        wrap(app)(environ(), Recorder())
        assert "consentkit.consent" in seen
        assert seen["consentkit.consent"] is None

    def test_endpoint_bad_content_length(
        self, wrap: Callable[[Any], WSGIConsentMiddleware]
    ) -> None:
        """A garbage Content-Length on an endpoint is a clean 4xx, not a crash."""
        recorder = Recorder()
        env = environ(
            "/_consentkit/consent",
            REQUEST_METHOD="POST",
            CONTENT_LENGTH="abc",
            CONTENT_TYPE="application/json",
        )
        b"".join(wrap(apps.wsgi_app)(env, recorder))
        assert recorder.calls[0][0].startswith("400")


class ClosingList(list[bytes]):
    """A list an app returns with a close() of its own, which the server must call."""

    closed = False

    def close(self) -> None:
        self.closed = True


def page_app(body: Any, *, write: bytes = b"", length: str | None = "999") -> Any:
    headers = [("Content-Type", "text/html")]
    if length is not None:
        headers.append(("Content-Length", length))

    def app(env: dict[str, Any], start: Callable[..., Any]) -> Any:
        send = start("200 OK", headers)
        if write:
            send(write)
        return body

    return app


def expected_page(wrap: Callable[[Any], WSGIConsentMiddleware]) -> bytes:
    """The rewritten page as a streaming app gets it."""

    def stream(env: dict[str, Any], start: Callable[..., Any]) -> Iterator[bytes]:
        start("200 OK", [("Content-Type", "text/html")])
        yield apps.PAGE

    return b"".join(wrap(stream)(environ(), Recorder()))


class TestWholeBodies:
    @pytest.mark.parametrize("kind", [list, tuple])
    def test_list_body_gets_its_exact_length(
        self, wrap: Callable[[Any], WSGIConsentMiddleware], kind: type[Any]
    ) -> None:
        """A list body is rewritten at once, one chunk out per chunk in, with its length."""
        recorder = Recorder()
        out = wrap(page_app(kind([apps.PAGE[:50], b"", apps.PAGE[50:]])))(environ(), recorder)
        assert isinstance(out, list)
        assert len(out) == 3
        assert b"".join(out) == expected_page(wrap)
        [(_, headers, _)] = recorder.calls
        lengths = [value for name, value in headers if name.lower() == "content-length"]
        assert lengths == [str(len(b"".join(out)))]
        assert ("Vary", "Cookie") in headers

    def test_empty_list_body(self, wrap: Callable[[Any], WSGIConsentMiddleware]) -> None:
        """An empty HTML body is said to be empty."""
        recorder = Recorder()
        assert wrap(page_app([]))(environ(), recorder) == []
        assert ("Content-Length", "0") in recorder.calls[0][1]

    def test_list_subclass_streams_and_is_closed(
        self, wrap: Callable[[Any], WSGIConsentMiddleware]
    ) -> None:
        """A list with a close() of its own and no length is streamed, so the server
        closes it."""
        body = ClosingList([apps.PAGE])
        recorder = Recorder()
        result = wrap(page_app(body, length=None))(environ(), recorder)
        assert len(recorder.calls) == 1  # started before the first chunk is asked for
        assert b"".join(result) == expected_page(wrap)
        result.close()  # type: ignore[attr-defined]
        assert body.closed
        assert all(name.lower() != "content-length" for name, _ in recorder.calls[0][1])

    def test_iterator_body_starts_at_once(
        self, wrap: Callable[[Any], WSGIConsentMiddleware]
    ) -> None:
        """A body of unknown length streams, its headers sent before its chunks."""
        recorder = Recorder()
        result = wrap(page_app(iter([apps.PAGE]), length=None))(environ(), recorder)
        assert len(recorder.calls) == 1
        assert b"".join(result) == expected_page(wrap)
        assert all(name.lower() != "content-length" for name, _ in recorder.calls[0][1])

    def test_iterator_of_declared_length_is_read_whole(
        self, wrap: Callable[[Any], WSGIConsentMiddleware]
    ) -> None:
        """Werkzeug (Flask) gives a page as an iterator with its length: read up to that
        length and no further, closed, rewritten whole with its new exact length."""
        body = ClosingBody([apps.PAGE[:40], apps.PAGE[40:]])
        pulled: list[bytes] = []

        def chunks() -> Iterator[bytes]:
            for chunk in body.chunks:
                pulled.append(chunk)
                yield chunk
            raise AssertionError("read past the declared length")

        class Body(ClosingBody):
            def __iter__(self) -> Iterator[bytes]:
                return chunks()

        app_body = Body(body.chunks)
        recorder = Recorder()
        out = wrap(page_app(app_body, length=str(len(apps.PAGE))))(environ(), recorder)

        [(_, headers, _)] = recorder.calls
        assert (b"".join(out), app_body.closed, pulled) == (expected_page(wrap), True, body.chunks)
        assert ("Content-Length", str(len(expected_page(wrap)))) in headers

    def test_declared_length_too_large_to_hold_streams(
        self, wrap: Callable[[Any], WSGIConsentMiddleware]
    ) -> None:
        """Past MAX_WHOLE_BODY, a body of declared length streams as any other."""
        recorder = Recorder()
        length = str(consentkit.wsgi.MAX_WHOLE_BODY + 1)
        result = wrap(page_app(iter([apps.PAGE]), length=length))(environ(), recorder)
        assert len(recorder.calls) == 1
        assert b"".join(result) == expected_page(wrap)

    def test_write_starts_the_response_at_once(
        self, wrap: Callable[[Any], WSGIConsentMiddleware]
    ) -> None:
        """write() sends the headers first, then the rewritten bytes; the rest follows."""
        recorder = Recorder()
        app = page_app([apps.PAGE[60:]], write=apps.PAGE[:60])
        tail = b"".join(wrap(app)(environ(), recorder))
        assert len(recorder.calls) == 1
        assert recorder.written
        assert b"".join(recorder.written) + tail == expected_page(wrap)
        assert all(name.lower() != "content-length" for name, _ in recorder.calls[0][1])

    def test_second_start_response_reaches_the_server(
        self, wrap: Callable[[Any], WSGIConsentMiddleware]
    ) -> None:
        """Held headers never hide a second start_response() from the server's checks."""

        def app(env: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
            start("200 OK", [("Content-Type", "text/html")])
            start("201 Created", [("Content-Type", "text/html")])
            return [apps.PAGE]

        recorder = Recorder()
        b"".join(wrap(app)(environ(), recorder))
        assert [status for status, _, _ in recorder.calls] == ["200 OK", "201 Created"]


def test_non_ascii_cookie_header(wrap: Callable[[Any], WSGIConsentMiddleware]) -> None:
    """A Cookie header with bytes beyond ASCII (latin-1-decoded by the server) is no consent."""
    recorder = Recorder()
    env = environ("/whoami", HTTP_COOKIE="consentkit=\xe9.\xe9; _ga=\xff")
    assert b"".join(wrap(apps.wsgi_app)(env, recorder)) == b"none"
    assert recorder.calls[0][0].startswith("200")
