"""What the middleware costs the example apps on a realistic page, wrapped/bare.

Targets (issue 13): the Flask, Django and FastAPI examples serving a templated page of
more than 30 KB, with a per-request CSRF value and Google Analytics in its head and its
body, wrapped/bare >= 0.95x in process, for a first visit (no cookie: the banner is
injected and GA neutralised) and for an accepted visitor (accept all, ``_ga`` cookies
sent). Each figure is the median of interleaved rounds; an A/A run (the bare app
against itself) is printed beside it to show the noise of the machine.

Each app renders the page with its own template engine (Jinja for Flask and FastAPI,
Django templates with ``{% csrf_token %}``), so the bare time is what such a page
really costs the app.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _drivers import asgi_loop_call, wsgi_call  # noqa: E402

from consentkit import Catalogue, Consent, ConsentConfig  # noqa: E402

CATALOGUE = Catalogue.from_file(ROOT / "examples" / "plus-que-pro" / "catalogue.toml")
DEMO_KEY = "demo-only-key-never-use-in-production"
ROUNDS = 11
CALLS = 60
TARGET = 0.95

#: ~34 KB once rendered: a listing of professionals, GA in the head and the body.
#: ``[[csrf]]`` is where each engine puts its per-request value.
_CARD = """
      <article class="card" id="pro-{i}">
        <a href="/pros/{i}-plombier-chauffagiste"><img src="/static/img/pros/{i}.webp"
           width="320" height="200" loading="lazy" alt="Atelier {i}"></a>
        <h3><a href="/pros/{i}-plombier-chauffagiste">Atelier Durand &amp; fils n°{i}</a></h3>
        <p class="meta">Plomberie, chauffage &middot; Lyon 7e &middot; 4,{d} / 5</p>
        <p>Intervention rapide, devis gratuit sous 48 h. Recommandé par ses clients
           pour la qualité de ses finitions et le respect des délais.</p>
      </article>"""
PAGE = (
    """<!doctype html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Plombiers à Lyon : 60 professionnels recommandés</title>
  <link rel="stylesheet" href="/static/css/site.3f9a1c.css">
  <link rel="preconnect" href="https://www.google-analytics.com">
  <!-- Google tag (gtag.js) -->
  <script async src="https://www.googletagmanager.com/gtag/js?id=G-DEMO0PQP00"></script>
  <script>
    window.dataLayer = window.dataLayer || [];
    function gtag(){dataLayer.push(arguments);}
    gtag('js', new Date());
    gtag('config', 'G-DEMO0PQP00');
  </script>
</head>
<body>
  <header class="site">
    <a class="logo" href="/">Plus que PRO</a>
    <nav><a href="/pros">Trouver un pro</a> <a href="/avis">Avis</a>
      <a href="/compte">Mon compte</a></nav>
  </header>
  <main>
    <h1>Plombiers à Lyon</h1>
    <form class="search" method="post" action="/recherche">
      [[csrf]]
      <input name="q" value="plombier" aria-label="Métier">
      <input name="ou" value="Lyon" aria-label="Ville">
      <button>Rechercher</button>
    </form>
    <section class="results">"""
    + "".join(_CARD.format(i=i, d=i % 10) for i in range(60))
    + """
    </section>
  </main>
  <footer>
    <a href="/mentions-legales">Mentions légales</a>
    <a href="/cookies" data-consentkit-open>Gestion des cookies</a>
  </footer>
  <script>gtag('event', 'view_item_list', {item_list_id: 'plombiers-lyon'});</script>
  <noscript><img src="https://www.google-analytics.com/collect?v=1&amp;tid=UA-DEMO-1&amp;t=pageview"
    width="1" height="1" alt=""></noscript>
</body>
</html>
"""
)
JINJA_PAGE = PAGE.replace("[[csrf]]", '<input type="hidden" name="csrf" value="{{ csrf }}">')
DJANGO_PAGE = PAGE.replace("[[csrf]]", "{% csrf_token %}")

Call = Callable[[Any, str], bytes]
#: When set, the views render this fixed value instead of a new one per request: the
#: floor's page, the same bytes every time, which the page memo answers.
FIXED: list[str] = []


def csrf_value() -> str:
    return FIXED[0] if FIXED else secrets.token_urlsafe(32)


def _wsgi_call(app: Any, cookie: str) -> bytes:
    return wsgi_call(app, cookie, "/bench")


def _asgi_call(loop: asyncio.AbstractEventLoop) -> Call:
    call = asgi_loop_call(loop)
    return lambda app, cookie: call(app, cookie, "/bench")


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def flask_apps() -> tuple[Call, Any, Any]:
    """The Flask example as built (``ConsentKit(app)``) and its own app unwrapped."""
    import flask

    example = _load("flask_example_apps", ROOT / "examples" / "flask_app" / "app.py")
    app = example.app
    template = app.jinja_env.from_string(JINJA_PAGE)

    def bench() -> str:
        return flask.render_template(template, csrf=csrf_value())

    app.add_url_rule("/bench", view_func=bench)
    return _wsgi_call, app.extensions["consentkit"].middleware.app, app


def fastapi_apps(loop: asyncio.AbstractEventLoop) -> tuple[Call, Any, Any]:
    """The FastAPI example as built (``add_middleware``) and its routes bare."""
    import jinja2
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    example = _load("fastapi_example_apps", ROOT / "examples" / "fastapi_app" / "app.py")
    wrapped = example.app
    template = jinja2.Environment(autoescape=True).from_string(JINJA_PAGE)

    async def bench() -> HTMLResponse:
        return HTMLResponse(template.render(csrf=csrf_value()))

    wrapped.add_api_route("/bench", bench, response_class=HTMLResponse)
    return _asgi_call(loop), FastAPI(routes=wrapped.routes), wrapped


def django_apps() -> tuple[Call, Any, Any]:
    """The Django example's middleware stack, with consentkit's middleware and without."""
    sys.path.insert(0, str(ROOT / "examples" / "django_project"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    import django
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.http import HttpRequest, HttpResponse
    from django.template import engines
    from django.urls import path

    django.setup()
    import mysite.urls  # type: ignore[import-not-found]

    template = engines["django"].from_string(DJANGO_PAGE)

    def bench(request: HttpRequest) -> HttpResponse:
        # For the floor, a fixed token in the context hides the one Django masks anew.
        fixed = {"csrf_token": FIXED[0]} if FIXED else {}
        return HttpResponse(template.render(fixed, request))

    mysite.urls.urlpatterns.append(path("bench", bench))
    wrapped = WSGIHandler()
    middleware = settings.MIDDLEWARE
    settings.MIDDLEWARE = [m for m in middleware if not m.startswith("consentkit.")]
    bare = WSGIHandler()
    settings.MIDDLEWARE = middleware
    return _wsgi_call, bare, wrapped


def cookies() -> dict[str, str]:
    signer = ConsentConfig(catalogue=CATALOGUE, secret_keys=[DEMO_KEY]).signer
    accepted = signer.dumps(Consent.accept_all(CATALOGUE))
    return {
        "first visit": "",
        "accepted": f"_ga=GA1.1.1234567890.1764100000; _ga_DEMO0PQP00=GS1.1.17641; "
        f"consentkit={accepted}",
    }


def _per_call(call: Call, app: Any, cookie: str) -> float:
    start = time.perf_counter()
    for _ in range(CALLS):
        call(app, cookie)
    return (time.perf_counter() - start) / CALLS


def compare(name: str, call: Call, bare: Any, wrapped: Any) -> None:
    """Print wrapped/bare for each visitor state, rounds interleaved, with the A/A run
    and the floor: the same app serving one unchanging page (a fixed CSRF value; for
    Django, in the template's context, which also spares it the ``csrftoken`` cookie),
    which costs the middleware only its work per request and one comparison of the
    page. The floor's added time is wrapped minus bare on that page."""
    size = len(call(bare, ""))
    for state, cookie in cookies().items():
        for app in (bare, wrapped):  # warm-up: templates compiled, memos filled
            for _ in range(CALLS):
                call(app, cookie)
        times: dict[str, list[float]] = {
            "bare": [],
            "wrapped": [],
            "again": [],
            "fixed bare": [],
            "fixed wrapped": [],
        }
        for _ in range(ROUNDS):
            times["bare"].append(_per_call(call, bare, cookie))
            times["wrapped"].append(_per_call(call, wrapped, cookie))
            times["again"].append(_per_call(call, bare, cookie))
            FIXED.append("A" * 43)
            try:
                times["fixed bare"].append(_per_call(call, bare, cookie))
                times["fixed wrapped"].append(_per_call(call, wrapped, cookie))
            finally:
                FIXED.clear()
        bare_s, wrapped_s, again_s, fixed_bare, fixed_wrapped = (
            statistics.median(times[k]) for k in times
        )
        ratio, noise = bare_s / wrapped_s, bare_s / again_s
        floor_added = fixed_wrapped - fixed_bare
        verdict = "met" if ratio >= TARGET else "MISSED"
        print(
            f"{name:<8} {state:<12} {size / 1024:4.1f} KB  bare {bare_s * 1e6:6.1f} µs  "
            f"wrapped {wrapped_s * 1e6:6.1f} µs  added {(wrapped_s - bare_s) * 1e6:5.1f} µs  "
            f"{ratio:.3f}x (A/A {noise:.3f}x)  target >= {TARGET}: {verdict}"
        )
        print(
            f"{'':<22} floor: an unchanging page adds {floor_added * 1e6:5.1f} µs, "
            f"{bare_s / (bare_s + floor_added):.3f}x"
        )


def main() -> None:
    print(
        f"example apps, a realistic page (GA in head and body, a CSRF value per request), "
        f"wrapped/bare in process, median of {ROUNDS} interleaved rounds of {CALLS} calls"
    )
    loop = asyncio.new_event_loop()
    builders: dict[str, Callable[[], tuple[Call, Any, Any]]] = {
        "Flask": flask_apps,
        "Django": django_apps,
        "FastAPI": lambda: fastapi_apps(loop),
    }
    for name, build in builders.items():
        try:
            call, bare, wrapped = build()
        except ImportError as exc:
            print(f"{name}: {exc.name} is not installed (pip install -e '.[test]'): skipped")
            continue
        compare(name, call, bare, wrapped)
    loop.close()


if __name__ == "__main__":
    main()
