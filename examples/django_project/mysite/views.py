"""The example's pages: they only read consent; consentkit's middleware enforces it."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "page.html", {"title": "Accueil"})


def account(request: HttpRequest) -> HttpResponse:
    """This page's own server code sets ``_ga``: consentkit drops it without consent."""
    request.session["visits"] = request.session.get("visits", 0) + 1
    response = render(request, "page.html", {"title": "Mon compte"})
    response.set_cookie("_ga", "GA1.1.1234567890.1764100000", max_age=63072000, samesite="Lax")
    return response


def whoami(request: HttpRequest) -> JsonResponse:
    """The visitor's decision as the app sees it (``null`` before any choice)."""
    consent = request.consent  # type: ignore[attr-defined]
    return JsonResponse({"consent": consent.action.value if consent else None})


def stream(request: HttpRequest) -> StreamingHttpResponse:
    """The home page streamed, cut in the middle of the gtag.js tag."""
    body = render_to_string("page.html", {"title": "Flux"}, request)
    cut = body.index("googletagmanager") + 6

    def chunks() -> Iterator[str]:
        yield body[:cut]
        yield body[cut:]

    return StreamingHttpResponse(chunks(), content_type="text/html; charset=utf-8")
