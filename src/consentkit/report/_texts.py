"""The report's words in French and English, and numbers as each language writes them."""

from __future__ import annotations

__all__ = ["LANGUAGES", "TEXTS", "number", "percent", "points", "relative"]

LANGUAGES = ("en", "fr")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Consent report",
        "period": "{start} to {end}, by {grain}",
        "previous": "Compared with {start} to {end}, the period of equal length before.",
        "generated": "Ledger {origin}; made on {at} UTC. Days are UTC days.",
        "synthetic": "Synthetic data: these decisions were generated for the demo; "
        "no visitor made them.",
        "day": "day",
        "week": "week",
        "month": "month",
        "summary": "Summary",
        "this_period": "This period",
        "previous_period": "Previous period",
        "change": "Change",
        "decisions": "Decisions",
        "consent_rate": "Consent rate",
        "opt_in": "Opt-in: {name}",
        "accept_all": "Accept all",
        "custom": "Custom choice",
        "refuse_all": "Refuse all",
        "withdraw": "Withdrawal",
        "banner_first_layer": "Banner, first layer",
        "banner_customise": "Banner, customise layer",
        "form": "Form",
        "api": "API",
        "unknown": "Unknown",
        "over_time": "Decisions over time",
        "over_time_note": "Bars: decisions by action (left axis). Line: consent rate, "
        "the share of choices granting at least one optional purpose (right axis).",
        "purposes": "Opt-in rate per optional purpose",
        "vendors": "Opt-in rate per optional vendor",
        "optin_note": "Share of choices (withdrawals aside) that granted it, "
        "among the choices that offered it.",
        "by_language": "By language",
        "by_language_note": "Consent rate of the choices made in each banner language.",
        "by_source": "By where the choice was made",
        "by_source_note": "Decisions by the place they were made: the banner's first "
        "layer, its customise layer, an HTML form, or another JSON client (API).",
        "language": "Language",
        "source": "Where",
        "choices": "Choices",
        "share": "Share",
        "changes": "Catalogue revisions and notices",
        "changes_note": "Dashed lines on the charts: the first day a catalogue revision (R) "
        "or a new notice, the exact text and list shown (N), was seen in this period.",
        "date": "Date",
        "what": "What",
        "revision": "Catalogue revision {value}",
        "notice": "New notice in {language}: {value}",
        "no_changes": "No new catalogue revision or notice in this period.",
        "empty": "No decisions in this period.",
        "no_optional": "The notices shown declare no optional {what}.",
        "purposes_word": "purpose",
        "vendors_word": "vendor",
        "caveats": "Reading these figures",
        "caveat_people": "A decision is a browser's, not a person's: a visitor who deletes "
        "cookies, or uses two browsers, decides twice and counts twice.",
        "caveat_bots": "Crawlers and visitors who leave without answering never decide: "
        "they are not in these figures, so rates are shares of those who chose.",
        "caveat_withdraw": "Withdrawals count as decisions but not as choices: they are "
        "left out of the consent and opt-in rates.",
        "rate_axis": "consent rate",
        "optin_axis": "opt-in rate",
        "count_axis": "decisions",
        "pts": "pts",
        "revision_heading": "Catalogue revision",
        "incomplete": "The ledger's first record is of {day}: the previous period is "
        "incomplete, and so are the changes against it.",
        "partial": "The first and last {grain} are cut to the period: their bars are narrower.",
        "weeks": "weeks",
        "months": "months",
        "lang_fr": "French",
        "lang_en": "English",
        "lang_de": "German",
        "lang_es": "Spanish",
        "lang_it": "Italian",
        "lang_nl": "Dutch",
    },
    "fr": {
        "title": "Rapport de consentement",
        "period": "Du {start} au {end}, par {grain}",
        "previous": "Comparé à la période de même durée qui précède, du {start} au {end}.",
        "generated": "Registre {origin} ; établi le {at} UTC. Les jours sont des jours UTC.",
        "synthetic": "Données synthétiques : ces décisions ont été générées pour la "
        "démonstration ; aucun visiteur ne les a prises.",
        "day": "jour",
        "week": "semaine",
        "month": "mois",
        "summary": "Synthèse",
        "this_period": "Cette période",
        "previous_period": "Période précédente",
        "change": "Évolution",
        "decisions": "Décisions",
        "consent_rate": "Taux de consentement",
        "opt_in": "Acceptation : {name}",
        "accept_all": "Tout accepter",
        "custom": "Choix personnalisé",
        "refuse_all": "Tout refuser",
        "withdraw": "Retrait",
        "banner_first_layer": "Bandeau, premier niveau",
        "banner_customise": "Bandeau, « Personnaliser vos choix »",
        "form": "Formulaire",
        "api": "API",
        "unknown": "Inconnu",
        "over_time": "Décisions dans le temps",
        "over_time_note": "Barres : décisions par action (axe de gauche). Courbe : taux de "
        "consentement, la part des choix qui accordent au moins une finalité facultative "
        "(axe de droite).",
        "purposes": "Taux d'acceptation par finalité facultative",
        "vendors": "Taux d'acceptation par partenaire facultatif",
        "optin_note": "Part des choix (hors retraits) qui l'ont accordé, parmi ceux qui "
        "le proposaient.",
        "by_language": "Par langue",
        "by_language_note": "Taux de consentement des choix faits dans chaque langue du bandeau.",
        "by_source": "Par lieu du choix",
        "by_source_note": "Décisions selon l'endroit où elles ont été prises : premier niveau "
        "du bandeau, « Personnaliser vos choix », formulaire HTML ou autre client JSON (API).",
        "language": "Langue",
        "source": "Lieu",
        "choices": "Choix",
        "share": "Part",
        "changes": "Révisions du catalogue et notices",
        "changes_note": "Lignes pointillées sur les graphiques : premier jour de la période où "
        "une révision du catalogue (R) ou une nouvelle notice, le texte et la liste exacts "
        "montrés (N), a été vue.",
        "date": "Date",
        "what": "Quoi",
        "revision": "Révision du catalogue {value}",
        "notice": "Nouvelle notice en {language} : {value}",
        "no_changes": "Aucune nouvelle révision du catalogue ni notice sur cette période.",
        "empty": "Aucune décision sur cette période.",
        "no_optional": "Les notices montrées ne déclarent aucun {what} facultatif.",
        "purposes_word": "finalité",
        "vendors_word": "partenaire",
        "caveats": "Lire ces chiffres",
        "caveat_people": "Une décision est celle d'un navigateur, pas d'une personne : un "
        "visiteur qui efface ses cookies, ou utilise deux navigateurs, décide deux fois et "
        "compte deux fois.",
        "caveat_bots": "Les robots d'indexation et les visiteurs qui partent sans répondre ne "
        "décident jamais : ils ne sont pas dans ces chiffres, les taux sont des parts de "
        "ceux qui ont choisi.",
        "caveat_withdraw": "Les retraits comptent comme décisions mais pas comme choix : ils "
        "sont exclus des taux de consentement et d'acceptation.",
        "rate_axis": "taux de consentement",
        "optin_axis": "taux d'acceptation",
        "count_axis": "décisions",
        "pts": "pts",
        "revision_heading": "Révision du catalogue",
        "incomplete": "Le premier enregistrement du registre date du {day} : la période "
        "précédente est incomplète, et les évolutions par rapport à elle aussi.",
        "partial": "La première et la dernière {grain} sont coupées à la période : leurs "
        "barres sont plus étroites.",
        "weeks": "semaine",
        "months": "mois",
        "lang_fr": "français",
        "lang_en": "anglais",
        "lang_de": "allemand",
        "lang_es": "espagnol",
        "lang_it": "italien",
        "lang_nl": "néerlandais",
    },
}


def number(value: int, lang: str) -> str:
    """``12345`` as ``12,345`` (en) or ``12 345`` (fr, with a narrow no-break space)."""
    text = f"{value:,}"
    return text.replace(",", "\u202f") if lang == "fr" else text


def percent(rate: float | None, lang: str, digits: int = 1) -> str:
    if rate is None:
        return "—"
    text = f"{rate * 100:.{digits}f}"
    return f"{text.replace('.', ',')}\u202f%" if lang == "fr" else f"{text}%"


def points(now: float | None, before: float | None, lang: str) -> str:
    """The change of a rate, in percentage points."""
    if now is None or before is None:
        return "—"
    diff = (now - before) * 100
    text = f"{diff:+.1f}"
    text = text.replace(".", ",") if lang == "fr" else text
    return f"{text}\u00a0{TEXTS[lang]['pts']}"


def relative(now: int, before: int, lang: str) -> str:
    """The change of a count, in percent of the earlier one."""
    if before == 0:
        return "—"
    diff = (now - before) / before * 100
    text = f"{diff:+.1f}"
    return f"{text.replace('.', ',')}\u202f%" if lang == "fr" else f"{text}%"
