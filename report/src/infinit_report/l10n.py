"""One locale per deployment, for the reports and the cockpit alike: `REPORTS_LOCALE` = `fr`
(the dealer's, default) or `en`. Every text, number, date and chart axis follows it, so no
page mixes two.

A locale is data: separators, month names, the d3 format locales that Vega uses for chart
axes and tooltips, and the translation of every English text the pages show. `t()` raises
on a text without translation, so a page rendered in each locale (the tests do) cannot fall
back silently to English.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

NBSP = "\u00a0"  # thousands separator and unit gap: never broken across lines


@dataclass(frozen=True)
class Locale:
    code: str
    decimal: str
    group: str
    money: str  # pattern around the formatted amount: `{}` is the number
    percent: str  # pattern around the formatted percentage
    months: tuple[str, ...]
    short_months: tuple[str, ...]
    days: tuple[str, ...]  # Sunday first, as d3 wants them
    short_days: tuple[str, ...]
    day_format: str  # strftime pattern of a day (%b from short_months)
    vega_day: str  # the same for Vega (d3-time-format)
    moment_day: str  # the same for Streamlit's date columns (moment.js)
    texts: dict[str, str] = field(default_factory=dict)  # English → this locale ({} for English)

    def vega(self) -> dict[str, Any]:
        """Vega-Lite `config.locale`: d3 number and time locales for axes and tooltips."""
        before, _, after = self.money.partition("{}")
        return {
            "number": {
                "decimal": self.decimal,
                "thousands": self.group,
                "grouping": [3],
                "currency": [before, after],
                "percent": self.percent.replace("{}", ""),
            },
            "time": {
                "dateTime": f"{self.vega_day} %H:%M:%S",
                "date": self.vega_day,
                "time": "%H:%M:%S",
                "periods": ["AM", "PM"],
                "days": list(self.days),
                "shortDays": list(self.short_days),
                "months": list(self.months),
                "shortMonths": list(self.short_months),
            },
        }


EN = Locale(
    code="en",
    decimal=".",
    group=",",
    money="€{}",
    percent="{}%",
    months=("January", "February", "March", "April", "May", "June",
            "July", "August", "September", "October", "November", "December"),
    short_months=("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    days=("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"),
    short_days=("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"),
    day_format="%d %b %Y",
    vega_day="%d %b %Y",
    moment_day="DD MMM YYYY",
)  # fmt: skip

FR_TEXTS: dict[str, str] = {
    # --- KPIs (kpis.py) ---
    "Transactions": "Transactions",
    "Cars sold": "Voitures vendues",
    "Turnover": "Chiffre d'affaires",
    "Market value": "Valeur catalogue",
    "Average discount": "Remise moyenne",
    "Average basket": "Panier moyen",
    "Active clients": "Clients actifs",
    "New clients": "Nouveaux clients",
    "Discount granted": "Remise accordée",
    "Number of sales.": "Nombre de ventes.",
    "Cars sold: the sum of the quantities.": "Voitures vendues : somme des quantités.",
    "Price paid × quantity.": "Prix payé × quantité.",
    "List price × quantity.": "Prix catalogue × quantité.",
    "(Market value − turnover) ÷ market value.": "(Valeur catalogue − chiffre d'affaires) ÷ valeur catalogue.",
    "Turnover ÷ transactions.": "Chiffre d'affaires ÷ transactions.",
    "Market value − turnover.": "Valeur catalogue − chiffre d'affaires.",
    "Clients who bought in the period.": "Clients ayant acheté sur la période.",
    "first purchase ever in the period": "premier achat de leur histoire sur la période",
    "Clients whose first purchase ever falls in the period: once every client has bought, it stays at 0.": (
        "Clients dont le tout premier achat tombe sur la période : une fois que tous les clients ont acheté, "
        "il reste à 0."
    ),
    # --- comparisons ---
    "MoM": "M-1",
    "YoY": "N-1",
    "vs previous period": "vs période précédente",
    "vs {period}": "vs {period}",
    "vs a year before": "vs un an avant",
    "no comparison": "pas de comparaison",
    "{start} to {end}": "du {start} au {end}",
    # --- report ---
    "Sales report": "Rapport des ventes",
    "Sales from {first} to {last} (Europe/Paris) · generated {generated}": (
        "Ventes du {first} au {last} (heure de Paris) · généré le {generated}"
    ),
    "Key figures": "Chiffres clés",
    "MoM: change vs the previous month, YoY: vs the same month a year before (value then in grey; — when there "
    "is none). Ratios change in points (pt). Green is good for the business, red is bad.": (
        "M-1 : évolution par rapport au mois précédent, N-1 : par rapport au même mois un an avant (valeur d'alors "
        "en gris ; — s'il n'y en a pas). Les ratios évoluent en points (pt). Vert : bon pour l'activité, rouge : "
        "mauvais."
    ),
    "Daily turnover by brand": "Chiffre d'affaires quotidien par marque",
    "Brand share of turnover": "Part de chaque marque dans le chiffre d'affaires",
    "Top {n} models": "{n} premiers modèles",
    "Turnover, last 13 months": "Chiffre d'affaires des 13 derniers mois",
    "Brands": "Marques",
    "Brand": "Marque",
    "Models": "Modèles",
    "Model": "Modèle",
    "Top clients": "Meilleurs clients",
    "Clients": "Clients",
    "Client": "Client",
    "Email domain": "Domaine e-mail",
    "Cars": "Voitures",
    "Share": "Part",
    "Data quality": "Qualité des données",
    "Rows quarantined for {month}:": "Lignes en quarantaine pour {month} :",
    "Quarantined rows are left out of every figure above.": (
        "Les lignes en quarantaine sont exclues de tous les chiffres ci-dessus."
    ),
    "A car whose catalog row is quarantined keeps its last valid list price.": (
        "Une voiture dont la ligne du catalogue est en quarantaine garde son dernier prix catalogue valide."
    ),
    "List prices changed during {month}; each sale is valued at the catalog version in force when it was sold:": (
        "Des prix catalogue ont changé en {month} ; chaque vente est valorisée à la version du catalogue"
        " en vigueur au moment de la vente :"
    ),
    "{car} version {number}, {price} from {start} to {end}": "{car} version {number}, {price} du {start} au {end}",
    "Source": "Source",
    "Rows loaded": "Lignes chargées",
    "Current rows": "Lignes actuelles",
    "Quarantined (all time)": "En quarantaine (total)",
    "Last load (Europe/Paris)": "Dernier chargement (heure de Paris)",
    "Age at generation": "Âge à la génération",
    "Figures from the warehouse schema reports (dbt models rpt_*), read-only. Amounts in euros, turnover = price "
    "paid × quantity, market value = list price × quantity. Months and days in Europe/Paris.": (
        "Chiffres issus du schéma reports de l'entrepôt (modèles dbt rpt_*), en lecture seule. Montants en euros, "
        "chiffre d'affaires = prix payé × quantité, valeur catalogue = prix catalogue × quantité. Mois et jours à "
        "l'heure de Paris."
    ),
    # --- summary paragraph (monthly.summary) ---
    "In {month}, {transactions} transactions ({cars} cars) brought a turnover of {turnover}": (
        "En {month}, {transactions} transactions ({cars} voitures) ont rapporté un chiffre d'affaires de {turnover}"
    ),
    ", {change} on {month}": ", {change} par rapport à {month}",
    " and {change} on {month}": " et {change} par rapport à {month}",
    " (no earlier month to compare with)": " (aucun mois antérieur pour comparer)",
    "up {pct}": "en hausse de {pct}",
    "down {pct}": "en baisse de {pct}",
    "unchanged": "stable",
    "{brand} leads with {share} of turnover ({amount}).": (
        "{brand} arrive en tête avec {share} du chiffre d'affaires ({amount})."
    ),
    "Biggest move: {brand}, {amount} on {month} ({pct}).": (
        "Plus forte variation : {brand}, {amount} par rapport à {month} ({pct})."
    ),
    "The average discount {change} to {value}.": "La remise moyenne {change} à {value}.",
    "rose by {points}": "monte de {points}",
    "fell by {points}": "baisse de {points}",
    # --- charts ---
    "Share of turnover": "Part du chiffre d'affaires",
    "Day": "Jour",
    "Week": "Semaine",
    "Month": "Mois",
    # --- cockpit ---
    "INFINIT sales cockpit": "Cockpit des ventes INFINIT",
    "Log in": "Se connecter",
    "Log out": "Se déconnecter",
    "Password": "Mot de passe",
    "Wrong password.": "Mot de passe incorrect.",
    "The monthly sales report for {month} is attached ({file}).": (
        "Le rapport mensuel des ventes de {month} est en pièce jointe ({file})."
    ),
    "Figures in EUR, months in Europe/Paris time. Sent by the infinit pipeline once per month.": (
        "Montants en euros, mois à l'heure de Paris. Envoyé une fois par mois par le pipeline infinit."
    ),
    "Page": "Page",
    "Daily cockpit": "Cockpit quotidien",
    "Monthly analysis": "Analyse mensuelle",
    "INFINIT · Sales analysis": "INFINIT · Analyse des ventes",
    "Transaction date": "Date de transaction",
    "Bars per": "Barres par",
    "All brands": "Toutes les marques",
    "All models": "Tous les modèles",
    "Client name": "Nom du client",
    "All clients": "Tous les clients",
    "{start} to {end} (Europe/Paris days), {days} days.": "Du {start} au {end} (jours de Paris), {days} jours.",
    "Compared with {prev_start} to {prev_end} and with {year_start} to {year_end}.": (
        "Comparé au {prev_start} – {prev_end} et au {year_start} – {year_end}."
    ),
    "Turnover by brand": "Chiffre d'affaires par marque",
    "Turnover by model": "Chiffre d'affaires par modèle",
    "Evolution: brands and models": "Évolution : marques et modèles",
    "No sale matches these filters.": "Aucune vente ne correspond à ces filtres.",
    "Daily figures": "Chiffres quotidiens",
    "No sales in the warehouse yet: run the pipeline (see docs/reports.md).": (
        "Pas encore de ventes dans l'entrepôt : lancez le pipeline (voir docs/reports.md)."
    ),
    "Monthly analysis · {month}": "Analyse mensuelle · {month}",
    "Compared with the previous month and the same month a year before.": (
        "Comparé au mois précédent (M-1) et au même mois un an avant (N-1)."
    ),
    "Trends": "Tendances",
    "Turnover per month": "Chiffre d'affaires par mois",
    "Cars sold per month": "Voitures vendues par mois",
    "Rankings": "Classements",
    "Rank": "Rang",
    "Exact value: {value}": "Valeur exacte : {value}",
}

FR = Locale(
    code="fr",
    decimal=",",
    group=NBSP,
    money="{}" + NBSP + "€",
    percent="{}" + NBSP + "%",
    months=("janvier", "février", "mars", "avril", "mai", "juin",
            "juillet", "août", "septembre", "octobre", "novembre", "décembre"),
    short_months=("janv.", "févr.", "mars", "avr.", "mai", "juin",
                  "juil.", "août", "sept.", "oct.", "nov.", "déc."),
    days=("dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"),
    short_days=("dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."),
    day_format="%d/%m/%Y",
    vega_day="%d/%m/%Y",
    moment_day="DD/MM/YYYY",
    texts=FR_TEXTS,
)  # fmt: skip

LOCALES = {"en": EN, "fr": FR}
DEFAULT = "fr"
_current: Locale | None = None


def get(code: str) -> Locale:
    try:
        return LOCALES[code.strip().lower()]
    except KeyError:
        raise ValueError(f"REPORTS_LOCALE={code!r}: expected one of {', '.join(sorted(LOCALES))}") from None


def use(code: str | None = None) -> Locale:
    """Make `code` (default: $REPORTS_LOCALE, else fr) the locale of what follows."""
    global _current
    _current = get(code or os.environ.get("REPORTS_LOCALE") or DEFAULT)
    return _current


def current() -> Locale:
    return _current or use()


def t(text: str, **values: object) -> str:
    """`text` (English) in the current locale, with `{name}` fields filled in."""
    loc = current()
    if loc.texts:
        try:
            text = loc.texts[text]
        except KeyError:
            raise KeyError(f"no {loc.code} translation of {text!r} in infinit_report/l10n.py") from None
    return text.format(**values) if values else text
