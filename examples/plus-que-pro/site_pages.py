"""The demo site's pages, shared by its WSGI and ASGI apps.

A small copy of the reference site: a home page carrying Google's real GA4 gtag.js
snippet, an account page whose server code sets ``_ga`` itself, and a "Gestion des
cookies" page with plain HTML forms for the three choices. The site knows nothing
of consent but for reading it: consentkit's middleware does the enforcing.

Every choice is written to a proof-of-consent ledger (an SQLite file beside this
one, ``ledger.db``) before its cookie is set; each page shows the visitor the
receipt of their choice. ``consentkit ledger verify --db sqlite:///ledger.db``
checks the chain from this folder.
"""

from __future__ import annotations

import gzip
import html
import os
from pathlib import Path

from consentkit import Catalogue, Consent, ConsentConfig, Ledger, LedgerError

HERE = Path(__file__).resolve().parent
CATALOGUE = Catalogue.from_file(HERE / "catalogue.toml")
#: The demo's key is public: set CONSENTKIT_SECRET_KEY for anything else.
DEMO_KEY = "demo-only-key-never-use-in-production"
GA_ID = "G-DEMO0PQP00"
#: The demo's ledger key is public too: set CONSENTKIT_LEDGER_KEY for anything else.
DEMO_LEDGER_KEY = "demo-only-ledger-key-never-use-in-production"
#: The ledger's URL: a file in this folder unless CONSENTKIT_LEDGER says otherwise.
LEDGER_URL = os.environ.get("CONSENTKIT_LEDGER") or f"sqlite:///{HERE / 'ledger.db'}"

CONFIG = ConsentConfig(
    catalogue=CATALOGUE,
    secret_keys=[os.environ.get("CONSENTKIT_SECRET_KEY", DEMO_KEY)],
    # The demo runs on http://127.0.0.1: a Secure cookie would never come back.
    cookie_secure=os.environ.get("CONSENTKIT_COOKIE_SECURE", "0") == "1",
    # Google tags stay blocked until consent, and get Consent Mode v2 signals.
    consent_mode="basic",
    # Proof of consent: each choice is recorded before its cookie is set.
    ledger=LEDGER_URL,
    ledger_key=os.environ.get("CONSENTKIT_LEDGER_KEY", DEMO_LEDGER_KEY),
)

# Google's GA4 snippet, exactly as Analytics hands it out.
GTAG = f"""<!-- Google tag (gtag.js) -->
<script async src="https://www.googletagmanager.com/gtag/js?id={GA_ID}"></script>
<script>
  window.dataLayer = window.dataLayer || [];
  function gtag(){{dataLayer.push(arguments);}}
  gtag('js', new Date());

  gtag('config', '{GA_ID}');
</script>"""


def page(title: str, body: str, consent: Consent | None) -> bytes:
    state = "aucun choix enregistré"
    if consent is not None:
        measured = "acceptée" if consent.allows_vendor("google-analytics") else "refusée"
        state = f"mesure d'audience {measured}, jusqu'au {consent.expires_at:%d/%m/%Y}"
    return f"""<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · Plus que PRO (démo consentkit)</title>
<link rel="preconnect" href="https://www.google-analytics.com">
<link rel="dns-prefetch" href="https://www.googletagmanager.com">
{GTAG}
</head>
<body>
<header><a href="/">Plus que PRO</a> · <a href="/mon-compte">Mon compte</a></header>
<main>
<h1>{html.escape(title)}</h1>
{body}
</main>
<footer>
<p>Votre choix : {html.escape(state)}.</p>
{receipt(consent)}
<a href="/cookies" data-consentkit-open>Gestion des cookies</a> ·
<a href="/politique-de-confidentialite">Politique de confidentialité</a>
</footer>
</body>
</html>
""".encode()


def receipt(consent: Consent | None) -> str:
    """The visitor's receipt: where their choice sits in the ledger's chain."""
    ledger = CONFIG.ledger
    if consent is None or not isinstance(ledger, Ledger):
        return ""
    try:
        subject = ledger.subject(consent.id)
        mine = [r for r in ledger.records_of(consent.id) if r.fields["subject"] == subject]
    except LedgerError:
        return "<p>Reçu de preuve indisponible : le registre ne répond pas.</p>"
    if not mine:
        return "<p>Reçu de preuve : votre choix attend, ici, de rejoindre le registre.</p>"
    record = mine[-1]
    return (
        f"<p>Reçu de preuve : enregistrement n<sup>o</sup> {record.seq} du registre, "
        f"écrit le {html.escape(record.fields['at'][:19].replace('T', ' '))} UTC, "
        f"empreinte de chaîne <code>{record.chain_hash.hex()[:16]}…</code> · "
        '<a href="/_consentkit/proof">voir ma preuve complète</a></p>'
    )


def home(consent: Consent | None) -> bytes:
    return page(
        "Trouvez un professionnel de confiance",
        "<p>Plus que PRO vous aide à trouver des artisans et entreprises recommandés "
        "par leurs clients.</p>"
        "<p>Cette page charge Google Analytics (gtag.js). Sans votre consentement, "
        "consentkit le neutralise avant même que la page ne quitte le serveur : "
        "comparez <code>curl -s http://127.0.0.1:8000/</code> avant et après votre choix.</p>",
        consent,
    )


def account(consent: Consent | None) -> bytes:
    return page(
        "Mon compte",
        "<p>Le code de cette page dépose lui-même le cookie <code>_ga</code> côté serveur. "
        "Sans consentement, consentkit retire cet en-tête <code>Set-Cookie</code>.</p>",
        consent,
    )


ACCOUNT_COOKIE = "_ga=GA1.1.1234567890.1764100000; Path=/; Max-Age=63072000; SameSite=Lax"


def cookie_settings(consent: Consent | None) -> bytes:
    checked = " checked" if consent and consent.allows_purpose("audience") else ""
    vendor_checked = " checked" if consent and consent.allows_vendor("google-analytics") else ""
    forms = f"""<p>Les cookies strictement nécessaires ne peuvent pas être refusés.
Votre choix est conservé 6 mois si vous acceptez, 3 mois si vous refusez.</p>
<form method="post" action="/_consentkit/consent">
  <input type="hidden" name="next" value="/cookies">
  <button name="action" value="accept_all">Tout accepter</button>
  <button name="action" value="refuse_all">Continuer sans accepter</button>
</form>
<h2>Personnaliser vos choix</h2>
<form method="post" action="/_consentkit/consent">
  <input type="hidden" name="next" value="/cookies">
  <input type="hidden" name="action" value="custom">
  <p><label><input type="checkbox" name="purposes" value="audience"{checked}>
    Mesure d'audience</label></p>
  <h3>Voir nos partenaires</h3>
  <p><label><input type="checkbox" name="vendors" value="google-analytics"{vendor_checked}>
    Google Analytics (États-Unis, clauses contractuelles types)</label></p>
  <button>Enregistrer</button>
</form>
<form method="post" action="/_consentkit/consent">
  <input type="hidden" name="next" value="/cookies">
  <button name="action" value="withdraw">Retirer mon consentement</button>
</form>
<h2>Liste des cookies</h2>
{cookie_table()}"""
    return page("Gestion des cookies", forms, consent)


def cookie_table(lang: str = "fr") -> str:
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(cell)}</td>"
            for cell in (
                CATALOGUE.localize(rule.description, lang),
                rule.label or rule.name,
                CATALOGUE.duration_text(rule, lang),
                (CATALOGUE.vendor(rule.vendor) or rule).name,
            )
        )
        + "</tr>"
        for rule in CATALOGUE.cookies
    )
    return (
        "<table><thead><tr><th>Description</th><th>Cookie</th><th>Durée</th>"
        f"<th>Service</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def policy(consent: Consent | None) -> bytes:
    return page(
        "Politique de confidentialité",
        "<p>Extrait : « Le dépôt de cookies liés au service Google analytics est fondé sur "
        "votre consentement. »</p>" + cookie_table(),
        consent,
    )


def stream_chunks() -> list[bytes]:
    """The home page cut in the middle of the gtag.js tag, as a streaming app might send it."""
    body = home(None)
    cut = body.index(b"googletagmanager") + 6
    return [body[:cut], body[cut:]]


def gzipped_home() -> bytes:
    return gzip.compress(home(None), mtime=0)


ROUTES = {
    "/": home,
    "/mon-compte": account,
    "/cookies": cookie_settings,
    "/politique-de-confidentialite": policy,
}
