"""The enforcement corpus: pages each holding one tracker load written a way HTML allows.

Pure data, no consentkit import: the test module reads the cases, and
``corpus_app.py`` (run by gunicorn) serves them through the middleware. Every
tracker URL carries ``ck=<case id>`` so a request can be traced to its case.
Google Analytics hosts only, so the demo catalogue (vendor ``google-analytics``)
claims every one of them.
"""

from __future__ import annotations

from dataclasses import dataclass

GA = "https://www.google-analytics.com"
GTM = "https://www.googletagmanager.com"
SVG_NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
XHTML = "application/xhtml+xml"


@dataclass(frozen=True)
class Case:
    """One page of the corpus and what consent must do to its tracker load."""

    id: str
    #: The whole page, before encoding.
    html: str
    #: The Content-Type header, or None to send none.
    content_type: str | None = "text/html; charset=utf-8"
    encoding: str = "utf-8"
    #: Why the load can't happen in the same page once accepted; empty when it must.
    stays_silent: str = ""
    #: What else the traced request must carry once accepted (query text).
    carrying: str = ""

    @property
    def path(self) -> str:
        return f"/case/{self.id}"

    @property
    def body(self) -> bytes:
        return self.html.encode(self.encoding)


def ck(case: str, url: str = f"{GA}/collect?v=2") -> str:
    """``url`` traced to ``case``."""
    return f"{url}&ck={case}"


def page(body: str, *, head: str = "", attrs: str = "") -> str:
    """A plain HTML page around ``body``."""
    return (
        '<!doctype html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>corpus</title>\n{head}</head>\n<body{attrs}>\n<main><h1>Corpus</h1>\n"
        f"{body}\n</main>\n</body>\n</html>\n"
    )


def amp(url: str) -> str:
    """``url`` escaped for an attribute value, as XML wants it."""
    return url.replace("&", "&amp;")


def _img(case: str, url: str) -> Case:
    """An ``<img>`` whose ``src`` names a tracker host the way the WHATWG URL parser reads it."""
    return Case(case, page(f'<img alt="" width="1" height="1" src="{url}?v=2&amp;ck={case}">'))


CASES: tuple[Case, ...] = (
    # --- Controls: markup the rewriter has always handled --------------------------------
    Case("control-img", page(f'<img alt="" width="1" height="1" src="{ck("control-img")}">')),
    Case(
        "control-script",
        page(f'<script src="{ck("control-script", GTM + "/gtag/js?id=G-C")}"></script>'),
    ),
    # --- Markup not modelled ---------------------------------------------------------
    Case(
        "iframe",
        page(f'<iframe title="Vidéo" width="320" height="180" src="{ck("iframe")}"></iframe>'),
    ),
    Case("image", page(f'<image alt="" width="1" height="1" src="{ck("image")}">')),
    Case(
        "input-image", page(f'<form><input type="image" alt="go" src="{ck("input-image")}"></form>')
    ),
    Case(
        "frame",
        '<!doctype html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        "<title>corpus</title>\n</head>\n"
        f'<frameset cols="50%,50%"><frame src="/blank"><frame src="{ck("frame")}"></frameset>\n'
        "</html>\n",
    ),
    Case(
        "svg-script-href",
        page(
            f'<svg {SVG_NS} width="1" height="1">'
            f'<script href="{ck("svg-script-href", GTM + "/gtag/js?id=G-SVG")}"></script></svg>'
        ),
    ),
    Case(
        "svg-script-xlink",
        page(
            f'<svg {SVG_NS} width="1" height="1"><script xlink:href="'
            f'{ck("svg-script-xlink", GTM + "/gtag/js?id=G-SVG")}"></script></svg>'
        ),
    ),
    Case(
        "svg-image",
        page(
            f'<svg {SVG_NS} width="1" height="1">'
            f'<image href="{ck("svg-image")}" width="1" height="1"/></svg>'
        ),
    ),
    Case(
        "svg-feimage",
        page(
            f'<svg {SVG_NS} width="1" height="1"><filter id="f"><feImage href="'
            f'{ck("svg-feimage")}"/></filter><rect width="1" height="1" filter="url(#f)"/></svg>'
        ),
    ),
    Case("background-body", page("<p>fond</p>", attrs=f' background="{ck("background-body")}"')),
    Case(
        "background-table",
        page(f'<table background="{ck("background-table")}"><tr><td>x</td></tr></table>'),
    ),
    Case(
        "background-td",
        page(f'<table><tr><td background="{ck("background-td")}">x</td></tr></table>'),
    ),
    Case(
        "iframe-srcdoc",
        page(
            '<iframe title="t" srcdoc="&lt;script src=&quot;'
            + ck("iframe-srcdoc", GTM + "/gtag/js?id=G-DOC").replace("&", "&amp;amp;")
            + '&quot;&gt;&lt;/script&gt;"></iframe>'
        ),
    ),
    Case(
        "data-iframe",
        page(f'<iframe title="t" src="data:text/html,<img src=\'{ck("data-iframe")}\'>"></iframe>'),
    ),
    Case(
        "data-object",
        page(
            f'<object type="text/html" width="10" height="10" '
            f"data=\"data:text/html,<img src='{ck('data-object')}'>\"></object>"
        ),
    ),
    Case(
        "data-embed",
        page(
            f'<embed type="text/html" width="10" height="10" '
            f"src=\"data:text/html,<img src='{ck('data-embed')}'>\">"
        ),
    ),
    Case(
        "javascript-iframe",
        page(
            f'<iframe title="t" src="javascript:\'<img src={ck("javascript-iframe")}>\'"></iframe>'
        ),
    ),
    # The handler's element is neutralised whole: its src too, so the load it reacts
    # to happens again once the handler is back.
    Case(
        "onerror",
        page(f'<img alt="" src="/missing.gif" onerror="new Image().src=\'{ck("onerror")}\'">'),
    ),
    Case(
        "onload", page(f'<img alt="" src="/pixel.gif" onload="new Image().src=\'{ck("onload")}\'">')
    ),
    Case(
        "body-onload",
        page("<p>x</p>", attrs=f" onload=\"new Image().src='{ck('body-onload')}'\""),
        stays_silent="the window's load event fired before consent and never fires again",
    ),
    # --- Tokeniser states --------------------------------------------------------------
    # Scripting on: noscript is raw text, so its "</noscript>" inside an attribute ends it.
    Case(
        "noscript",
        page(
            f"<noscript><p title=\"</noscript><img alt='' src='{ck('noscript')}'>\"></p></noscript>"
        ),
    ),
    # The legacy snippet: after "<!--<script>" the first "</script>" doesn't end the script.
    Case(
        "legacy-script",
        page(
            "<script><!--<script></script>\nfunction gtag(){}\n"
            f"new Image().src='{ck('legacy-script')}';\n//--></script>"
        ),
    ),
    # In SVG, <style> isn't raw text: the <img> breaks out of foreign content, live.
    Case(
        "svg-style",
        page(
            f'<svg {SVG_NS} width="1" height="1"><style>'
            f'<img alt="" src="{ck("svg-style")}"></style></svg>'
        ),
    ),
    # An SVG script's text is entity-decoded: the marker only appears once parsed.
    Case("math-style", page(f'<math><style><img alt="" src="{ck("math-style")}"></style></math>')),
    # The look-ahead is 256 KiB: this script is judged unread, for every denied vendor.
    Case(
        "long-inline-script",
        page(
            "<script>/*" + " " * (300 * 1024) + "*/ new Image().src = "
            f"'{ck('long-inline-script')}';</script>"
        ),
    ),
    Case(
        "svg-script-entities",
        page(
            f'<svg {SVG_NS} width="1" height="1"><script>'
            "var s = document.createElement('script');"
            "s.src = 'https://www.google-analytics&#46;com/analytics.js?v=2&amp;ck=svg-script-"
            "entities'; document.head.appendChild(s);</script></svg>"
        ),
    ),
    # --- URLs as the WHATWG parser reads them --------------------------------------------
    _img("host-tab", "https://www.google-\tanalytics.com/collect"),
    _img("host-newline", "https://www.google-analytics.\ncom/collect"),
    _img("host-fullwidth", "https://www.google-analytics.\uff43\uff4f\uff4d/collect"),
    _img("host-ideographic-dot", "https://www.google-analytics\u3002com/collect"),
    _img("host-port-443", "https://www.google-analytics.com:443/collect"),
    _img("host-trailing-dot", "https://www.google-analytics.com./collect"),
    _img("host-percent", "https://www.google%2Danalytics.com/collect"),
    _img("leading-control", "\x01 https://www.google-analytics.com/collect"),
    _img("path-dots", "https://www.google-analytics.com/g/../collect"),
    Case(
        "path-percent",
        page(f'<script async src="{ck("path-percent", GTM + "/%67tag/js?id=G-P")}"></script>'),
    ),
    Case(
        "base-href",
        page('<img alt="" src="collect?v=2&amp;ck=base-href">', head=f'<base href="{GA}/">\n'),
    ),
    # --- Banner placement, charsets and types --------------------------------------------
    Case(
        "head-in-comment",
        '<!doctype html>\n<!-- <head> -->\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<title>corpus</title>\n<script async src="'
        f'{ck("head-in-comment", GTM + "/gtag/js?id=G-C")}"></script>\n</head>\n'
        "<body><main><h1>Corpus</h1></main></body>\n</html>\n",
    ),
    Case(
        "utf-16",
        page(f'<img alt="" src="{ck("utf-16")}">').replace('<meta charset="utf-8">\n', ""),
        content_type="text/html; charset=utf-16",
        encoding="utf-16",
    ),
    Case(
        "iso-2022-jp",
        page(f'<p>日本語のページ</p><img alt="" src="{ck("iso-2022-jp")}">').replace(
            'charset="utf-8"', 'charset="iso-2022-jp"'
        ),
        content_type="text/html; charset=iso-2022-jp",
        encoding="iso-2022-jp",
    ),
    Case("no-content-type", page(f'<img alt="" src="{ck("no-content-type")}">'), None),
    Case(
        "xhtml",
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="fr">\n<head>\n<title>corpus</title>\n'
        f'<script async="async" src="{amp(ck("xhtml", GTM + "/gtag/js?id=G-X"))}"></script>\n'
        f'</head>\n<body><main><h1>Corpus</h1><img alt="" src="{amp(ck("xhtml"))}"/></main>'
        "</body>\n</html>\n",
        content_type=f"{XHTML}; charset=utf-8",
    ),
    # --- Author marks ----------------------------------------------------------------------
    # Pre-marked for two vendors: restored only once both are allowed.
    Case(
        "marked-two-vendors",
        page(
            '<img alt="" data-consentkit-vendor="google-analytics google-recaptcha" '
            f'data-consentkit-src="{ck("marked-two-vendors")}">'
        ),
    ),
    # Marked for reCaptcha (essential, always allowed) but loading Google Analytics.
    Case(
        "marked-shield",
        page(f'<img alt="" data-consentkit-vendor="google-recaptcha" src="{ck("marked-shield")}">'),
    ),
)


V = 'data-consentkit-vendor="google-analytics"'

#: Tags neutralised by hand the way the server does (DESIGN.md, "HTML conventions", and
#: issue 10's additions), which the server passes through while the vendor is denied:
#: what the banner must bring back, whatever the rewriter of the day recognises.
MARKED: tuple[Case, ...] = (
    Case(
        "input-image",
        page(f'<input type="image" alt="go" {V} data-consentkit-src="{ck("input-image")}">'),
    ),
    Case(
        "frame",
        '<!doctype html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        "<title>corpus</title>\n</head>\n"
        f'<frameset cols="50%,50%"><frame src="/blank"><frame {V} data-consentkit-src="'
        f'{ck("frame")}"></frameset>\n</html>\n',
    ),
    Case(
        "svg-script-href",
        page(
            f'<svg {SVG_NS} width="1" height="1"><script type="text/plain" {V} '
            f'data-consentkit-href="{ck("svg-script-href", GTM + "/gtag/js?id=G-SVG")}"></script>'
            "</svg>"
        ),
    ),
    Case(
        "svg-script-xlink",
        page(
            f'<svg {SVG_NS} width="1" height="1"><script type="text/plain" {V} '
            'data-consentkit-type="text/ecmascript" data-consentkit-xlink-href="'
            f'{ck("svg-script-xlink", GTM + "/gtag/js?id=G-SVG")}"></script></svg>'
        ),
    ),
    Case(
        "svg-script-inline",
        page(
            f'<svg {SVG_NS} width="1" height="1"><script type="text/plain" {V}>'
            "new Image().src = 'https://www.google-analytics&#46;com/collect?v=2&amp;ck=svg-script-"
            "inline';</script></svg>"
        ),
    ),
    Case(
        "svg-image",
        page(
            f'<svg {SVG_NS} width="1" height="1"><image {V} width="1" height="1" '
            f'data-consentkit-href="{ck("svg-image")}"/></svg>'
        ),
    ),
    Case(
        "svg-image-xlink",
        page(
            f'<svg {SVG_NS} width="1" height="1"><image {V} width="1" height="1" '
            f'data-consentkit-xlink-href="{ck("svg-image-xlink")}"/></svg>'
        ),
    ),
    Case(
        "svg-feimage",
        page(
            f'<svg {SVG_NS} width="1" height="1"><filter id="f"><feImage {V} data-consentkit-href="'
            f'{ck("svg-feimage")}"/></filter><rect width="1" height="1" filter="url(#f)"/></svg>'
        ),
    ),
    Case(
        "background-body",
        page("<p>fond</p>", attrs=f' {V} data-consentkit-background="{ck("background-body")}"'),
    ),
    Case(
        "background-table",
        page(
            f'<table {V} data-consentkit-background="'
            f'{ck("background-table")}"><tr><td>x</td></tr></table>'
        ),
    ),
    Case(
        "background-td",
        page(
            f'<table><tr><td {V} data-consentkit-background="'
            f'{ck("background-td")}">x</td></tr></table>'
        ),
    ),
    Case(
        "iframe-srcdoc",
        page(
            f'<iframe title="t" {V} data-consentkit-srcdoc="&lt;script src=&quot;'
            + amp(amp(ck("iframe-srcdoc", GTM + "/gtag/js?id=G-DOC")))
            + '&quot;&gt;&lt;/script&gt;"></iframe>'
        ),
    ),
    # A srcdoc rewritten as a document: its marked tags come back too.
    Case(
        "iframe-srcdoc-inside",
        page(
            f'<iframe title="t" srcdoc="&lt;img alt=&quot;&quot; {V.replace(chr(34), "&quot;")} '
            f'data-consentkit-src=&quot;{amp(amp(ck("iframe-srcdoc-inside")))}&quot;&gt;"></iframe>'
        ),
    ),
    Case(
        "data-iframe",
        page(
            f'<iframe title="t" {V} data-consentkit-src="data:text/html,'
            f"<img src='{ck('data-iframe')}'>\"></iframe>"
        ),
    ),
    Case(
        "data-object",
        page(
            f'<object type="text/html" width="10" height="10" {V} '
            f"data-consentkit-data=\"data:text/html,<img src='"
            f"{ck('data-object')}'>\"></object>"
        ),
    ),
    Case(
        "data-embed",
        page(
            f'<embed type="text/html" width="10" height="10" {V} '
            f"data-consentkit-src=\"data:text/html,<img src='"
            f"{ck('data-embed')}'>\">"
        ),
    ),
    Case(
        "object",
        page(
            f'<object type="text/html" width="10" height="10" {V} '
            f'data-consentkit-data="{ck("object")}"></object>'
        ),
    ),
    Case(
        "javascript-iframe",
        page(
            f'<iframe title="t" {V} data-consentkit-src="javascript:'
            f"'<img src={ck('javascript-iframe')}>'\"></iframe>"
        ),
    ),
    Case(
        "onerror",
        page(
            f'<img alt="" {V} data-consentkit-src="/missing.gif" '
            f"data-consentkit-onerror=\"new Image().src='{ck('onerror')}'\">"
        ),
    ),
    Case(
        "onload",
        page(
            f'<img alt="" {V} data-consentkit-src="/pixel.gif" '
            f"data-consentkit-onload=\"new Image().src='{ck('onload')}'\">"
        ),
    ),
    # A script's handler is back before it loads: it runs once gtag.js has.
    Case(
        "script-onload",
        page(
            f'<script type="text/plain" {V} data-consentkit-src="'
            f'{ck("gtag-for-onload", GTM + "/gtag/js?id=G-S")}" data-consentkit-onload="'
            f"new Image().src='{ck('script-onload')}&amp;ran=' + window.__fakeGtagRan\"></script>"
        ),
        carrying="ran=1",
    ),
    Case(
        "legacy-script",
        page(
            f'<script type="text/plain" {V}><!--<script></script>\nfunction gtag(){{}}\n'
            f"new Image().src='{ck('legacy-script')}';\n//--></script>"
        ),
    ),
    Case(
        "base-href",
        page(
            f'<img alt="" {V} data-consentkit-src="collect?v=2&amp;ck=base-href">',
            head=f'<base href="{GA}/">\n',
        ),
    ),
    Case(
        "two-vendors",
        page(
            '<img alt="" data-consentkit-vendor="google-analytics google-recaptcha" '
            f'data-consentkit-src="{ck("two-vendors")}">'
        ),
    ),
    Case(
        "xhtml",
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" lang="fr">\n<head>\n<title>corpus</title>\n'
        f'</head>\n<body><main><h1>Corpus</h1><script type="text/plain" {V} data-consentkit-src="'
        f'{amp(ck("xhtml-script", GTM + "/gtag/js?id=G-X"))}"></script><img alt="" {V} '
        f'data-consentkit-src="{amp(ck("xhtml"))}"/></main></body>\n</html>\n',
        content_type=f"{XHTML}; charset=utf-8",
    ),
)

#: A 1x1 transparent GIF, for pages that need an image that loads.
PIXEL = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)
