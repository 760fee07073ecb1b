"""``window.__tcfapi`` in Chromium: the IAB TCF CMP API v2.2 as vendors' scripts see it.

The page (tests/browser/tcf_app.py) has TCF on and a vendor script that pings the CMP
and registers a listener in its head, before any choice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from consentkit.tcf import TCModel, decode
from tests.browser.support import HERE, Network, gunicorn
from tests.browser.tcf_app import CMP_ID, CMP_VERSION
from tests.helpers import ROOT

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

#: Opens the TCF page in a fresh context: ``open_tcf(init_script=None)``.
OpenTcf = Callable[..., "Page"]

GVL_IDS = {"adbeam": 4, "quillmetrics": 52, "lumen": 128}
VECTORS = [
    json.loads(line)
    for line in (ROOT / "tests" / "data" / "tcf_vectors.jsonl").read_text().splitlines()
    if line.strip()
]

_RECORD_CSP = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""

# What a vendor's code in a nested frame does, per the spec's sample: find the ancestor
# with a child frame named __tcfapiLocator, post it a __tcfapiCall, await the return.
_ASK_FROM_FRAME = """
([command, parameter]) => new Promise((resolve, reject) => {
  let frame = window, cmp = null;
  while (frame) {
    try { if (frame.frames['__tcfapiLocator']) { cmp = frame; break; } } catch (e) {}
    if (frame === window.top) break;
    frame = frame.parent;
  }
  if (!cmp) return reject(new Error('no __tcfapiLocator above this frame'));
  const callId = 'call-' + Math.random();
  window.addEventListener('message', (event) => {
    const ret = event.data && event.data.__tcfapiReturn;
    if (ret && ret.callId === callId) resolve({ ret, fromParent: event.source === window.parent });
  });
  cmp.postMessage({ __tcfapiCall: { command, version: 2, parameter, callId } }, '*');
  setTimeout(() => reject(new Error('no answer')), 5000);
})
"""

# Calls __tcfapi synchronously and returns what the callback got, if it was called at once.
_CALL = """
([command, version, parameter]) => {
  let got = { called: false };
  window.__tcfapi(command, version, (value, success) => {
    got = { called: true, value, success };
  }, parameter);
  return got;
}
"""

# Puts a TC string in the cookie, tells the CMP a choice was made, returns the TCData.
_TCDATA_FOR = """
(tc) => {
  document.cookie = 'euconsent-v2=' + tc + '; path=/; SameSite=Lax';
  let last = null;
  window.__tcfapi('addEventListener', 2, (data) => { last = data; });
  document.dispatchEvent(new CustomEvent('consentkit:change', { detail: null }));
  window.__tcfapi('removeEventListener', 2, () => {}, last.listenerId);
  return last;
}
"""


@pytest.fixture(scope="module")
def tcf_url() -> Iterator[str]:
    """The TCF page (tests/browser/tcf_app.py) under gunicorn."""
    with gunicorn(HERE, "tcf_app:app") as url:
        yield url


@pytest.fixture
def open_tcf(browser: Browser, network: Network, tcf_url: str) -> Iterator[OpenTcf]:
    contexts: list[BrowserContext] = []

    def open_(init_script: str | None = None) -> Page:
        context = browser.new_context(
            locale="fr-FR", extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9"}
        )
        contexts.append(context)
        context.route("**/*", network.handle)
        context.add_init_script(_RECORD_CSP)
        if init_script is not None:
            context.add_init_script(init_script)
        context.set_default_timeout(10_000)
        page = context.new_page()
        page.goto(tcf_url + "/")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert network.blocked == [], f"requests to the outside world: {network.blocked}"


def events(page: Page) -> list[dict[str, Any]]:
    """Every callback the page's vendor script received, in order."""
    result: list[dict[str, Any]] = page.evaluate("window.__tcfEvents")
    return result


def wait_for_status(page: Page, status: str, count: int = 1) -> None:
    page.wait_for_function(
        "([s, n]) => window.__tcfEvents.filter(e => e.data.eventStatus === s).length >= n",
        arg=[status, count],
    )


def tc_cookie(page: Page) -> str | None:
    for cookie in page.context.cookies():
        if cookie["name"] == "euconsent-v2":
            return cookie["value"]
    return None


def true_ids(mapping: dict[str, bool]) -> set[int]:
    return {int(key) for key, value in mapping.items() if value}


def accept_all(page: Page) -> None:
    page.get_by_role("dialog").get_by_role("button", name="Tout accepter").click()
    wait_for_status(page, "useractioncomplete")


class TestPage:
    def test_ping_answers_at_once(self, open_tcf: OpenTcf) -> None:
        """`ping` answers synchronously in the head, before the banner's script has run."""
        page = open_tcf()
        ping = page.evaluate("window.__tcfPing")
        assert ping["cmpStatus"] == "loaded"
        assert ping["apiVersion"] == "2.2"
        assert ping["cmpLoaded"] is True
        assert ping["gdprApplies"] is True
        assert (ping["cmpId"], ping["cmpVersion"]) == (CMP_ID, CMP_VERSION)
        assert ping["displayStatus"] == "hidden"
        page.get_by_role("dialog").wait_for()
        assert page.evaluate(_CALL, ["ping", 2, None])["value"]["displayStatus"] == "visible"

    def test_listener_gets_the_tc_string_of_the_choice(self, open_tcf: OpenTcf) -> None:
        """A listener registered before the choice gets no string, then the cookie's string."""
        page = open_tcf()
        wait_for_status(page, "cmpuishown")
        first, shown = events(page)[:2]
        assert first["success"] is True
        assert first["data"]["tcString"] == ""
        assert first["data"]["vendor"]["consents"] == {}
        assert shown["data"]["tcString"] == ""

        accept_all(page)
        done = events(page)[-1]["data"]
        assert done["eventStatus"] == "useractioncomplete"
        assert done["cmpStatus"] == "loaded"
        assert done["tcString"] == tc_cookie(page)
        assert {e["data"]["listenerId"] for e in events(page)} == {first["data"]["listenerId"]}
        model = decode(done["tcString"], allow_reserved_cmp_id=True)
        assert model.vendor_consents == set(GVL_IDS.values())
        assert model.purpose_consents == {1, 2, 3, 4, 8, 9}
        # The page's own decoding of the string agrees with consentkit's.
        assert true_ids(done["vendor"]["consents"]) == model.vendor_consents
        assert true_ids(done["purpose"]["consents"]) == model.purpose_consents
        assert (done["cmpId"], done["tcfPolicyVersion"]) == (CMP_ID, model.tcf_policy_version)
        assert page.evaluate("window.__cspViolations") == []

    def test_next_page_is_tcloaded(self, open_tcf: OpenTcf) -> None:
        """On the next page the string on record comes at once, as `tcloaded`, banner hidden."""
        page = open_tcf()
        accept_all(page)
        cookie = tc_cookie(page)
        page.reload()
        (first,) = events(page)
        assert first["data"]["eventStatus"] == "tcloaded"
        assert first["data"]["tcString"] == cookie
        assert page.evaluate("window.__tcfPing")["displayStatus"] == "hidden"

    def test_reopen_then_refuse(self, open_tcf: OpenTcf) -> None:
        """Reopening the banner says `cmpuishown`; refusing then withdraws every vendor consent."""
        page = open_tcf()
        accept_all(page)
        page.get_by_role("link", name="Gestion des cookies").click()
        wait_for_status(page, "cmpuishown", count=2)
        assert events(page)[-1]["data"]["tcString"] == tc_cookie(page)
        page.get_by_role("dialog").get_by_role("button", name="Continuer sans accepter").click()
        wait_for_status(page, "useractioncomplete", count=2)
        done = events(page)[-1]["data"]
        assert done["tcString"] == tc_cookie(page)
        model = decode(done["tcString"], allow_reserved_cmp_id=True)
        assert model.vendor_consents == frozenset()
        assert model.disclosed_vendors == frozenset(GVL_IDS.values())
        assert true_ids(done["vendor"]["consents"]) == set()

    def test_withdrawal_clears_the_string(self, open_tcf: OpenTcf) -> None:
        """Withdrawing expires the cookie, and listeners get an empty string with no consents."""
        page = open_tcf()
        accept_all(page)
        page.evaluate("window.consentkit.withdraw()")
        wait_for_status(page, "useractioncomplete", count=2)
        done = events(page)[-1]["data"]
        assert tc_cookie(page) is None
        assert done["tcString"] == ""
        assert true_ids(done["vendor"]["consents"]) == set()

    def test_remove_event_listener(self, open_tcf: OpenTcf) -> None:
        """A removed listener is called no more, and removing it twice fails."""
        page = open_tcf()
        wait_for_status(page, "cmpuishown")  # the banner is open: no event is on its way
        page.evaluate(
            """() => {
              window.__second = [];
              window.__tcfapi('addEventListener', 2, (d) => { window.__second.push(d); });
            }"""
        )
        listener = page.evaluate("window.__second[0].listenerId")
        assert page.evaluate(_CALL, ["removeEventListener", 2, listener])["value"] is True
        assert page.evaluate(_CALL, ["removeEventListener", 2, listener])["value"] is False
        accept_all(page)
        assert page.evaluate("window.__second.length") == 1
        assert events(page)[-1]["data"]["eventStatus"] == "useractioncomplete"

    def test_unknown_command_and_version(self, open_tcf: OpenTcf) -> None:
        """Unknown commands and versions other than 2 get (null, false); getTCData answers."""
        page = open_tcf()
        assert page.evaluate(_CALL, ["getVendorList", 2, None]) == {
            "called": True,
            "value": None,
            "success": False,
        }
        assert page.evaluate(_CALL, ["addEventListener", 1, None])["success"] is False
        assert page.evaluate(_CALL, ["addEventListener", 3, None])["success"] is False
        tc_data = page.evaluate(_CALL, ["getTCData", 2, None])
        assert tc_data["success"] is True
        assert tc_data["value"]["listenerId"] is None
        assert tc_data["value"]["cmpStatus"] == "loaded"


class TestFrames:
    def test_nested_frame_asks_by_post_message(self, open_tcf: OpenTcf) -> None:
        """A cross-origin ad frame finds `__tcfapiLocator` and gets answers by postMessage."""
        page = open_tcf()
        assert page.locator("iframe[name=__tcfapiLocator]").count() == 1
        ad = next(f for f in page.frames if f.url.startswith("data:"))
        ping = ad.evaluate(_ASK_FROM_FRAME, ["ping", None])
        assert ping["fromParent"] is True
        assert ping["ret"]["success"] is True
        assert ping["ret"]["returnValue"]["cmpStatus"] == "loaded"
        assert ping["ret"]["returnValue"]["apiVersion"] == "2.2"
        listener = ad.evaluate(_ASK_FROM_FRAME, ["addEventListener", None])["ret"]
        assert listener["returnValue"]["gdprApplies"] is True
        assert isinstance(listener["returnValue"]["listenerId"], int)
        unknown = ad.evaluate(_ASK_FROM_FRAME, ["nonsense", None])["ret"]
        assert (unknown["returnValue"], unknown["success"]) == (None, False)

    def test_calls_queued_by_an_earlier_stub(self, open_tcf: OpenTcf) -> None:
        """Calls queued by a stub that ran before it (the IAB's kind) are answered in order."""
        stub = """
        (function () {
          var queue = [];
          window.__earlier = [];
          window.__tcfapi = function () {
            if (!arguments.length) return queue;
            queue.push(arguments);
          };
          window.__tcfapi('ping', 2, function (p) {
            window.__earlier.push('ping ' + p.cmpStatus);
          });
          window.__tcfapi('addEventListener', 2, function (d, ok) {
            window.__earlier.push('listener ' + ok + ' ' + d.listenerId);
          });
        })();
        """
        page = open_tcf(init_script=stub)
        # The listener stays registered: the banner opening may already have called it again.
        assert page.evaluate("window.__earlier.slice(0, 2)") == ["ping loaded", "listener true 1"]
        assert page.evaluate("window.__tcfapi.length") == 4


def _restrictions(model: TCModel) -> dict[int, dict[int, int]]:
    out: dict[int, dict[int, int]] = {}
    for r in model.publisher_restrictions:
        for vendor in r.vendor_ids:
            out.setdefault(r.purpose_id, {})[vendor] = int(r.restriction_type)
    return out


class TestDecoder:
    @pytest.mark.parametrize(
        "vector", [v for v in VECTORS if v["kind"] == "valid"], ids=lambda v: v["name"]
    )
    def test_tcdata_matches_consentkit_decode(
        self, open_tcf: OpenTcf, vector: dict[str, Any]
    ) -> None:
        """The page's TCData says what `consentkit.tcf.decode` reads from the same string."""
        page = open_tcf()
        data = page.evaluate(_TCDATA_FOR, vector["tc"])
        model = decode(vector["tc"], allow_reserved_cmp_id=True)
        assert data["tcString"] == vector["tc"]
        assert data["tcfPolicyVersion"] == model.tcf_policy_version
        assert data["isServiceSpecific"] is model.is_service_specific
        assert data["useNonStandardTexts"] is model.use_non_standard_texts
        assert data["purposeOneTreatment"] is model.purpose_one_treatment
        assert data["publisherCC"] == model.publisher_country_code
        assert true_ids(data["specialFeatureOptins"]) == model.special_feature_optins
        assert true_ids(data["purpose"]["consents"]) == model.purpose_consents
        assert true_ids(data["purpose"]["legitimateInterests"]) == (
            model.purpose_legitimate_interests
        )
        assert true_ids(data["vendor"]["consents"]) == model.vendor_consents
        assert true_ids(data["vendor"]["legitimateInterests"]) == (
            model.vendor_legitimate_interests
        )
        restrictions = {
            int(p): {int(v): t for v, t in vendors.items()}
            for p, vendors in data["publisher"]["restrictions"].items()
        }
        assert restrictions == _restrictions(model)
        publisher = data["publisher"]
        pub = model.publisher_tc
        assert true_ids(publisher["consents"]) == (pub.purpose_consents if pub else set())
        assert true_ids(publisher["customPurpose"]["consents"]) == (
            pub.custom_purpose_consents if pub else set()
        )
