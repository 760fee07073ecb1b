"""The banner's own words, in French and English; a catalogue may override any of them."""

from __future__ import annotations

DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Vos choix en matière de cookies",
        "accept_all": "Tout accepter",
        "refuse_all": "Continuer sans accepter",
        "customise": "Personnaliser vos choix",
        "partners": "Voir nos partenaires",
        "save": "Enregistrer",
        "back": "Retour",
        "close": "Fermer",
        "policy": "Politique de confidentialité",
        "always_on": "Toujours actif",
        "purposes_title": "Finalités",
        "partners_title": "Nos partenaires",
        "purposes_of_vendor": "Finalités",
        "cookies": "Cookies",
        "duration": "Durée",
        "country": "Pays",
        "privacy_policy": "Politique de confidentialité du partenaire",
        "transfer": "Transfert hors de l'UE",
        "error": "Votre choix n'a pas pu être enregistré. Veuillez réessayer.",
        "blocked": "Ce contenu est fourni par {vendor}, que vous n'avez pas accepté.",
        "allow_vendor": "Accepter {vendor}",
    },
    "en": {
        "title": "Your cookie choices",
        "accept_all": "Accept all",
        "refuse_all": "Continue without accepting",
        "customise": "Customise your choices",
        "partners": "See our partners",
        "save": "Save",
        "back": "Back",
        "close": "Close",
        "policy": "Privacy policy",
        "always_on": "Always on",
        "purposes_title": "Purposes",
        "partners_title": "Our partners",
        "purposes_of_vendor": "Purposes",
        "cookies": "Cookies",
        "duration": "Duration",
        "country": "Country",
        "privacy_policy": "Partner's privacy policy",
        "transfer": "Transfer outside the EU",
        "error": "Your choice couldn't be saved. Please try again.",
        "blocked": "This content comes from {vendor}, which you haven't accepted.",
        "allow_vendor": "Accept {vendor}",
    },
}

SAFEGUARDS: dict[str, dict[str, str]] = {
    "fr": {
        "adequacy-decision": "Décision d'adéquation de la Commission européenne",
        "standard-contractual-clauses": "Clauses contractuelles types",
        "binding-corporate-rules": "Règles d'entreprise contraignantes",
        "data-privacy-framework": "Data Privacy Framework UE–États-Unis",
    },
    "en": {
        "adequacy-decision": "European Commission adequacy decision",
        "standard-contractual-clauses": "Standard contractual clauses",
        "binding-corporate-rules": "Binding corporate rules",
        "data-privacy-framework": "EU–US Data Privacy Framework",
    },
}

#: The first layer's notice, in parts: it names the catalogue's own optional purposes
#: (see banner.notice), so that it never speaks of audience measurement to the visitors
#: of a site that only embeds videos, say.
NOTICES: dict[str, dict[str, str]] = {
    "fr": {
        "partners": (
            "Avec votre accord, nous et nos partenaires déposons des cookies et utilisons des "
            "données de navigation pour {which} : {purposes}."
        ),
        "own": (
            "Avec votre accord, nous déposons des cookies et utilisons des données de "
            "navigation pour {which} : {purposes}."
        ),
        "one": "la finalité suivante",
        "many": "les finalités suivantes",
        "and": " et ",
        "rest": (
            "Les cookies strictement nécessaires au fonctionnement du site ne peuvent pas être "
            "refusés. Vous pouvez changer d'avis à tout moment depuis le lien « Gestion des "
            "cookies » en bas de chaque page."
        ),
        "essential_only": (
            "Nous ne déposons que les cookies strictement nécessaires au fonctionnement du "
            "site, qui ne peuvent pas être refusés."
        ),
    },
    "en": {
        "partners": (
            "With your consent, we and our partners set cookies and use browsing data for "
            "{which}: {purposes}."
        ),
        "own": ("With your consent, we set cookies and use browsing data for {which}: {purposes}."),
        "one": "this purpose",
        "many": "these purposes",
        "and": " and ",
        "rest": (
            "Cookies that are strictly necessary for the site to work can't be refused. You "
            "can change your mind at any time from the “Cookie settings” link at the bottom "
            "of every page."
        ),
        "essential_only": (
            "We only set cookies that are strictly necessary for the site to work, which "
            "can't be refused."
        ),
    },
}

#: Every text a catalogue's ``[texts.<lang>]`` table may replace.
TEXT_KEYS = frozenset(DEFAULT_TEXTS["en"]) | {"notice"}
