"""The starter catalogue ``consentkit init`` writes: commented TOML a site edits.

It is valid as written (it loads, ``consentkit check`` passes, the middleware runs
with it), so a new site starts from something that works and changes it a step at
a time, checking as it goes. It declares the strictly necessary purpose with the
consent cookie consentkit itself sets, and one optional purpose, audience
measurement, with Google Analytics as the example vendor; durations are the
reference policy's.
"""

from __future__ import annotations

import json
from datetime import date

from consentkit.config import DEFAULT_COOKIE_NAME

__all__ = ["LANGUAGES", "starter_catalogue"]

#: The languages a starter catalogue can be written in; it has texts in all of them.
LANGUAGES = ("en", "fr")

# Every text of the starter, in each language. The French ones are the reference
# policy's own words where it has them.
_TEXTS: dict[str, dict[str, str]] = {
    "consent_name": {
        "fr": "Conservation du choix relatif au dépôt des cookies",
        "en": "Keeping your cookie choice",
    },
    "consent_description": {
        "fr": (
            "Un cookie est déposé lorsque vous exprimez votre choix via l'interface de gestion "
            "du consentement. Il enregistre votre acceptation, votre refus ou vos choix "
            "personnalisés, pour les respecter lors de vos visites ultérieures. Si vous effacez "
            "vos cookies, votre choix est effacé."
        ),
        "en": (
            "A cookie is set when you make your choice in the consent management interface. It "
            "records your acceptance, your refusal or your custom choices, to respect them on "
            "your later visits. If you delete your cookies, your choice is deleted."
        ),
    },
    "audience_name": {"fr": "Mesure d'audience", "en": "Audience measurement"},
    "audience_description": {
        "fr": (
            "Nous utilisons des solutions tierces pour mesurer la fréquentation et l'utilisation "
            "de notre site. Elles nous permettent d'optimiser ses performances et d'identifier "
            "les éventuels dysfonctionnements lors de la navigation, afin d'améliorer "
            "l'expérience utilisateur."
        ),
        "en": (
            "We use third-party tools to measure how many people visit our site and how they "
            "use it. They help us optimise its performance and find problems during browsing, "
            "to improve the user experience."
        ),
    },
    "ga_description": {
        "fr": (
            "Le service proposé par Google nous permet de suivre la navigation des visiteurs "
            "ainsi que leurs interactions avec notre site et son contenu. Les rapports obtenus "
            "ne donnent accès qu'à des statistiques anonymes et agrégées."
        ),
        "en": (
            "Google's service lets us follow visitors' browsing and their interactions with our "
            "site and its content. Its reports only give access to anonymous, aggregated "
            "statistics."
        ),
    },
    "consent_cookie_duration": {"fr": "6 mois", "en": "6 months"},
    "consent_cookie_description": {
        "fr": "Conserve votre choix relatif aux cookies.",
        "en": "Keeps your cookie choice.",
    },
    "ga_duration": {"fr": "13 mois (24 mois par défaut)", "en": "13 months (24 months by default)"},
    "ga_cookie_description": {
        "fr": (
            "Permet de suivre la navigation de l'internaute et de collecter des données sur son "
            "activité en attribuant un identifiant unique."
        ),
        "en": (
            "Follows the visitor's browsing and collects data on their activity by giving them "
            "a unique identifier."
        ),
    },
    "ga4_cookie_description": {
        "fr": "Conserve l'état de la session de mesure d'audience.",
        "en": "Keeps the state of the audience-measurement session.",
    },
}

_TEMPLATE = """\
# What this site stores on its visitors' devices, why, and who else does: the
# catalogue consentkit validates at start-up, enforces on every response and shows
# in its consent banner. Written by `consentkit init`, valid as it stands: edit it a
# step at a time, and check it after each change:
#
#     consentkit check {path}
#     consentkit cookies {path} --lang {lang}     # the policy's cookie table
#
# Every field is described in consentkit's docs/catalogue.md.

# Changing the revision asks every visitor again: change it whenever what the
# catalogue declares changes (a purpose, a vendor, a cookie).
revision = "{revision}"

# Every text exists in the default language and in each language listed. A site in
# one language keeps only that one in `languages` and deletes the other texts.
default_language = "{lang}"
languages = [{languages}]

# The site's privacy and cookie policy, linked from the banner:
# policy_url = "/privacy"

# How long a decision is kept before the visitor is asked again: 6 months when it
# accepts anything (the CNIL's recommendation), 3 when it refuses everything.
[expiry]
accept = "6 months"
refuse = "3 months"

# The banner's words are replaced per language in a [texts.<lang>] table
# (consentkit's docs/banner.md). By default its notice names the optional purposes.
# [texts.{lang}]
# notice = "..."


# --- Purposes: why something is stored --------------------------------------------

# Strictly necessary to the service the visitor asked for: always granted, never
# asked, marked "always on" in the banner.
[[purposes]]
id = "consent-storage"
essential = true
{consent_name}
{consent_description}

# Optional: asked for, and named in the banner's notice. Nothing serving it is
# stored, and no tag of its vendors runs, until the visitor grants it.
[[purposes]]
id = "audience"
{audience_name}
{audience_description}


# --- Vendors: the partners who read or write on visitors' devices -----------------
# The banner lists them as partners, each with its own switch; a vendor is allowed
# when the visitor grants it and every one of its purposes. The site itself is no
# vendor: its own cookies are declared below, with purposes only. If the site
# doesn't use Google Analytics, delete this vendor and its cookies below (and the
# "audience" purpose if nothing else serves it).

[[vendors]]
id = "google-analytics"
name = "Google Analytics"
purposes = ["audience"]
privacy_policy = "https://policies.google.com/privacy"
# Where it processes data (ISO 3166-1 alpha-2); outside the EEA, the transfer's
# safeguard is required.
country = "US"
transfer_safeguard = "standard-contractual-clauses"
{ga_description}
# How the middleware recognises its tags in a page, to hold them back until consent:
# URL globs (without the scheme), and texts found in its inline scripts.
url_patterns = [
    "www.googletagmanager.com/gtag/js*",
    "www.google-analytics.com/*",
    "*.google-analytics.com/*",
    "*.analytics.google.com/*",
]
inline_markers = ["gtag(", "googletagmanager.com/gtag/js"]


# --- Cookies: what is stored, by exact name or glob -------------------------------
# A vendor's cookie needs the vendor's purposes (or `purposes`, a subset of them).
# A cookie without a vendor is the site's own, allowed when all its `purposes` are.
# Durations are written as the policy words them: "13 mois", "24 hours", "session",
# or "(-)" when unknown.

# The consent cookie consentkit itself sets to remember the visitor's choice; it
# lasts as long as the decision ([expiry]). Rename it here if the site sets
# ConsentConfig(cookie_name=...).
[[cookies]]
name = "{cookie_name}"
purposes = ["consent-storage"]
{consent_cookie_duration}
{consent_cookie_description}

[[cookies]]
name = "_ga"
vendor = "google-analytics"
{ga_duration}
{ga_cookie_description}

[[cookies]]
name = "_ga_*"
label = "_ga_<container-id>"
vendor = "google-analytics"
{ga_duration}
{ga4_cookie_description}

# The site's own session cookie, say, needs a purpose (an essential one when the
# site can't work without it), not a vendor:
#
# [[purposes]]
# id = "session"
# essential = true
{session_name}
{session_description}
#
# [[cookies]]
# name = "sessionid"
# purposes = ["session"]
# duration = "session"
{session_cookie_description}
"""


def starter_catalogue(
    lang: str = "en", *, path: str = "catalogue.toml", revision: str | None = None
) -> str:
    """The starter catalogue's TOML, with ``lang`` as its default language.

    :param lang: one of :data:`LANGUAGES`; its texts come first, the others follow.
    :param path: the file's name, for the commands its comments suggest.
    :param revision: the catalogue's first revision (default: today's date).
    :raises ValueError: for a language the starter has no texts in.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"no starter catalogue in {lang!r}; choose one of {', '.join(LANGUAGES)}")
    order = (lang, *(other for other in LANGUAGES if other != lang))
    fields = {
        "path": path,
        "lang": lang,
        "languages": ", ".join(f'"{other}"' for other in order),
        "revision": revision or date.today().isoformat(),
        "cookie_name": DEFAULT_COOKIE_NAME,
    }
    for key, texts in _TEXTS.items():
        field = key.split("_")[-1]  # consent_name -> name; ga_duration -> duration
        fields[key] = "\n".join(
            f"{field}.{other} = {_toml_string(texts[other])}" for other in order
        )
    for key in ("session_name", "session_description", "session_cookie_description"):
        field = key.split("_")[-1]
        fields[key] = "\n".join(f'# {field}.{other} = "..."' for other in order)
    return _TEMPLATE.format(**fields)


def _toml_string(text: str) -> str:
    # A JSON string is a TOML basic string: the same quote and escapes.
    return json.dumps(text, ensure_ascii=False)
