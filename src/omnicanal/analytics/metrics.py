"""The catalogue of metrics: each one's definition written next to it, in French, as the
pages show it (formula, population, window), in display order.

The North Stars are the seeds' programme metrics; the commerce metrics are the classic
ones beside them. How each is computed is :mod:`omnicanal.analytics.measures` (ADR 0039).
"""

from __future__ import annotations

from omnicanal.analytics.kpis import Better, Dimension, Metric, Rhythm, Unit
from omnicanal.platform.errors import NotFound

__all__ = ["COMMERCE", "METRICS", "NORTH_STARS", "UnknownMetric", "metric"]


class UnknownMetric(NotFound):
    code = "unknown_metric"
    title = "Unknown metric"


_ALL: tuple[Dimension, ...] = ("store", "channel", "segment")
_NO_SEGMENT: tuple[Dimension, ...] = ("store", "channel")
_STORE: tuple[Dimension, ...] = ("store",)
_OPS: tuple[Rhythm, ...] = ("ops", "week", "month")
_WEEK: tuple[Rhythm, ...] = ("week", "month")
_MONTH: tuple[Rhythm, ...] = ("month",)

_ORDER_DAY = (
    "Jour local où la commande a été passée (fuseau du magasin crédité, sinon de "
    "l'entreprise) ; ses suites (annulation, retour, retrait) comptent ce jour-là."
)
_EVENT_DAY = "Jour local où cela s'est produit, au site concerné."
_IN_CURRENCY = (
    " Montants dans la devise de l'entreprise ; une commande dans une autre devise n'y compte pas."
)
_CUSTOMERS = (
    "Jours de l'entreprise de la période ; pour un magasin, ce que les données rattachent à "
    "ce magasin."
)


def _metric(
    code: str,
    name: str,
    definition: str,
    population: str,
    window: str,
    unit: Unit,
    better: Better,
    rhythms: tuple[Rhythm, ...],
    *,
    north_star: bool,
    dimensions: tuple[Dimension, ...] = _ALL,
) -> Metric:
    return Metric(
        code=code,
        name=name,
        definition=definition,
        population=population,
        window=window,
        unit=unit,
        better=better,
        rhythms=rhythms,
        north_star=north_star,
        dimensions=dimensions,
    )


_CATALOGUE = (
    _metric(
        "orders",
        "Commandes",
        "Nombre de commandes passées, annulées comprises.",
        "Toutes les commandes, de tous les canaux.",
        _ORDER_DAY,
        "count",
        "up",
        _OPS,
        north_star=False,
    ),
    _metric(
        "sales",
        "Chiffre d'affaires",
        "Somme des montants des commandes passées, annulées comprises." + _IN_CURRENCY,
        "Toutes les commandes, de tous les canaux.",
        _ORDER_DAY,
        "money",
        "up",
        _OPS,
        north_star=False,
    ),
    _metric(
        "net_sales",
        "Chiffre d'affaires net",
        "Chiffre d'affaires - montants des articles annulés - remboursements des retours."
        + _IN_CURRENCY,
        "Toutes les commandes, de tous les canaux.",
        _ORDER_DAY,
        "money",
        "up",
        _WEEK,
        north_star=False,
    ),
    _metric(
        "average_basket",
        "Panier moyen",
        "Chiffre d'affaires ÷ commandes." + _IN_CURRENCY,
        "Commandes dans la devise de l'entreprise.",
        _ORDER_DAY,
        "money",
        "up",
        _WEEK,
        north_star=False,
    ),
    _metric(
        "units_per_transaction",
        "Articles par commande",
        "Unités commandées ÷ commandes.",
        "Toutes les commandes, de tous les canaux.",
        _ORDER_DAY,
        "units",
        "up",
        _WEEK,
        north_star=False,
    ),
    _metric(
        "cancellation_rate",
        "Taux d'annulation",
        "Commandes annulées ÷ commandes passées ; une annulation compte au jour de sa commande.",
        "Toutes les commandes, de tous les canaux.",
        _ORDER_DAY,
        "ratio",
        "down",
        _OPS,
        north_star=False,
    ),
    _metric(
        "click_and_collect_share",
        "Part du retrait en magasin",
        "Commandes dont un article est retiré ou essayé en magasin ÷ commandes.",
        "Toutes les commandes ; le magasin crédité est celui du retrait.",
        _ORDER_DAY,
        "ratio",
        "up",
        _WEEK,
        north_star=False,
    ),
    _metric(
        "ship_from_store_share",
        "Part des expéditions depuis un magasin",
        "Commandes livrées à domicile dont un colis est parti d'un magasin ÷ commandes "
        "livrées à domicile.",
        "Commandes comprenant une livraison à domicile.",
        _ORDER_DAY,
        "ratio",
        "up",
        _WEEK,
        north_star=False,
    ),
    _metric(
        "pickup_lead_time",
        "Délai de mise à disposition",
        "Moyenne du temps entre la commande et le moment où elle attend son client en magasin.",
        "Retraits en magasin mis à disposition.",
        _ORDER_DAY,
        "seconds",
        "down",
        _OPS,
        north_star=False,
    ),
    _metric(
        "pickup_wait",
        "Attente au retrait",
        "Moyenne du temps entre l'arrivée signalée du client au comptoir et la remise de sa "
        "commande.",
        "Retraits remis après un signalement d'arrivée.",
        _ORDER_DAY,
        "seconds",
        "down",
        _OPS,
        north_star=True,
    ),
    _metric(
        "reservation_failure_rate",
        "Taux d'échec des réservations",
        "(Réservations arrivées à échéance + articles qu'un site n'a pas pu servir) ÷ "
        "réservations posées.",
        "Réservations de stock de tous les sites (magasins et entrepôts), par canal.",
        _EVENT_DAY,
        "ratio",
        "down",
        _OPS,
        north_star=True,
        dimensions=_NO_SEGMENT,
    ),
    _metric(
        "return_rate",
        "Taux de retour",
        "Unités retournées (retours remboursés, échangés ou clos) ÷ unités commandées ; un "
        "retour compte au jour de sa commande.",
        "Toutes les commandes et leurs retours, en magasin ou par la poste.",
        _ORDER_DAY,
        "ratio",
        "down",
        _WEEK,
        north_star=True,
    ),
    _metric(
        "exchange_refund_ratio",
        "Part des échanges",
        "Échanges ÷ (échanges + remboursements).",
        "Retours terminés par un échange ou un remboursement.",
        _ORDER_DAY,
        "ratio",
        "up",
        _WEEK,
        north_star=True,
    ),
    _metric(
        "sell_through",
        "Taux d'écoulement",
        "Unités vendues sur la période ÷ (unités vendues + stock en main aujourd'hui), au "
        "site d'où elles partent.",
        "Unités parties de nos mains : expédiées, retirées, achetées après essayage, "
        "vendues en caisse.",
        "Jour local où les unités sont parties ; stock tel qu'il est maintenant.",
        "ratio",
        "up",
        _WEEK,
        north_star=False,
        dimensions=_STORE,
    ),
    _metric(
        "stock_cover",
        "Couverture de stock",
        "Stock en main aujourd'hui ÷ (unités vendues sur la période ÷ jours de la période).",
        "Stock en main et unités vendues des sites choisis (tous sans choix).",
        "Jour local où les unités sont parties ; stock tel qu'il est maintenant.",
        "days",
        "none",
        _WEEK,
        north_star=False,
        dimensions=_STORE,
    ),
    _metric(
        "contribution_margin",
        "Marge sur coûts d'achat",
        "Somme, sur les commandes non annulées, de (montant - articles annulés - "
        "remboursements) - coût d'achat des unités gardées." + _IN_CURRENCY,
        "Commandes dont chaque article a un coût d'achat connu.",
        _ORDER_DAY,
        "money",
        "up",
        _MONTH,
        north_star=True,
    ),
    _metric(
        "recognised_share",
        "Part des clients reconnus",
        "Commandes nommant un client ÷ commandes.",
        "Toutes les commandes, de tous les canaux.",
        _ORDER_DAY,
        "ratio",
        "up",
        _WEEK,
        north_star=True,
        dimensions=_NO_SEGMENT,
    ),
    _metric(
        "store_identification_rate",
        "Taux d'identification en magasin",
        "Ventes en caisse avec un client identifié ÷ ventes en caisse.",
        "Commandes passées à une caisse ou à un comptoir de magasin.",
        _ORDER_DAY,
        "ratio",
        "up",
        _OPS,
        north_star=True,
        dimensions=_NO_SEGMENT,
    ),
    _metric(
        "basket_recognised",
        "Panier moyen des clients reconnus",
        "Chiffre d'affaires ÷ commandes, des commandes nommant un client." + _IN_CURRENCY,
        "Commandes nommant un client.",
        _ORDER_DAY,
        "money",
        "up",
        _WEEK,
        north_star=True,
        dimensions=_NO_SEGMENT,
    ),
    _metric(
        "basket_anonymous",
        "Panier moyen des clients anonymes",
        "Chiffre d'affaires ÷ commandes, des commandes sans client." + _IN_CURRENCY,
        "Commandes ne nommant aucun client.",
        _ORDER_DAY,
        "money",
        "none",
        _WEEK,
        north_star=True,
        dimensions=_NO_SEGMENT,
    ),
    _metric(
        "cross_channel_conversion",
        "Conversion entre canaux",
        "Commandes dont le panier a été commencé sur un autre canal ÷ commandes issues d'un "
        "panier.",
        "Commandes passées depuis un panier.",
        _ORDER_DAY,
        "ratio",
        "up",
        _WEEK,
        north_star=True,
    ),
    _metric(
        "purchase_frequency",
        "Fréquence d'achat",
        "Commandes non annulées des clients reconnus ÷ clients reconnus distincts ayant commandé.",
        "Clients reconnus ayant commandé sur la période.",
        "Période choisie, jour local de la commande.",
        "units",
        "up",
        _MONTH,
        north_star=True,
        dimensions=_NO_SEGMENT,
    ),
    _metric(
        "retention_rate",
        "Taux de rétention",
        "Clients reconnus ayant commandé sur la période précédente de même durée et de "
        "nouveau sur celle-ci ÷ clients reconnus de la période précédente.",
        "Clients reconnus ayant commandé sur la période précédente (commandes non annulées).",
        "Période choisie et la période de même durée juste avant.",
        "ratio",
        "up",
        _MONTH,
        north_star=True,
        dimensions=_NO_SEGMENT,
    ),
    _metric(
        "churn_rate",
        "Taux d'attrition",
        "Clients reconnus de la période précédente sans commande sur celle-ci ÷ clients "
        "reconnus de la période précédente (1 - taux de rétention).",
        "Clients reconnus ayant commandé sur la période précédente (commandes non annulées).",
        "Période choisie et la période de même durée juste avant.",
        "ratio",
        "down",
        _MONTH,
        north_star=True,
        dimensions=_NO_SEGMENT,
    ),
    _metric(
        "email_card_match_rate",
        "Rapprochement e-mail ↔ carte de fidélité",
        "Adhérents vus sur la période dont la fiche porte aussi un e-mail ÷ adhérents vus sur "
        "la période.",
        "Clients porteurs d'une carte de fidélité vus sur la période.",
        _CUSTOMERS,
        "ratio",
        "up",
        _WEEK,
        north_star=True,
        dimensions=_STORE,
    ),
    _metric(
        "phone_till_match_rate",
        "Rapprochement téléphone ↔ caisse",
        "Clients vus à une caisse sur la période dont la fiche porte un téléphone ÷ clients "
        "vus à une caisse.",
        "Clients passés à une caisse sur la période.",
        _CUSTOMERS,
        "ratio",
        "up",
        _WEEK,
        north_star=True,
        dimensions=_STORE,
    ),
    _metric(
        "cookie_login_match_rate",
        "Rapprochement témoin de connexion ↔ compte",
        "Témoins de navigation vus pour la première fois sur la période et rattachés depuis à "
        "une fiche avec un compte ÷ ces témoins.",
        "Témoins de navigation du site et installations de l'application.",
        _CUSTOMERS,
        "ratio",
        "up",
        _WEEK,
        north_star=True,
        dimensions=(),
    ),
    _metric(
        "time_to_unification",
        "Délai d'unification",
        "Moyenne, sur les fusions de fiches de la période, du temps entre la première "
        "apparition de la fiche absorbée et sa fusion dans celle de son client.",
        "Fusions de fiches clients faites sur la période.",
        _CUSTOMERS,
        "seconds",
        "down",
        _OPS,
        north_star=True,
        dimensions=_STORE,
    ),
    _metric(
        "till_crm_delay",
        "Délai caisse → fiche client",
        "Moyenne du temps entre une vente en caisse et sa prise en compte par les fiches "
        "clients et les mesures.",
        "Ventes passées à une caisse ou à un comptoir de magasin.",
        _ORDER_DAY,
        "seconds",
        "down",
        _OPS,
        north_star=True,
        dimensions=_STORE,
    ),
    _metric(
        "nps",
        "Indice de recommandation (NPS)",
        "(Promoteurs - détracteurs) ÷ réponses, en points sur 100 ; promoteur : 9 ou 10 sur 10, "
        "détracteur : 0 à 6.",
        "Réponses aux enquêtes de recommandation reçues des outils d'enquête.",
        "Jour local de la réponse.",
        "score",
        "up",
        _MONTH,
        north_star=True,
    ),
    _metric(
        "csat",
        "Satisfaction client",
        "Réponses satisfaites (4 ou 5 sur 5) ÷ réponses, des enquêtes de satisfaction et des "
        "notes données à la fin d'un retour.",
        "Réponses aux enquêtes de satisfaction, et notes données lors d'un retour.",
        "Jour local de la réponse, ou de la fin du retour.",
        "ratio",
        "up",
        _WEEK,
        north_star=True,
    ),
    _metric(
        "messages_withdrawn_share",
        "Messages retirés quand la situation change",
        "Messages retirés, ou retenus après un retour, une réclamation, une annulation, un "
        "refus de livraison ou un litige ÷ messages planifiés dont le sort est décidé "
        "(envoyés, retenus, retirés ou en échec).",
        "Messages planifiés par les déclencheurs, tous canaux.",
        "Jour de l'entreprise où le sort du message a été décidé.",
        "ratio",
        "up",
        _WEEK,
        north_star=True,
        dimensions=(),
    ),
)

METRICS: dict[str, Metric] = {metric.code: metric for metric in _CATALOGUE}
"""Every metric of the catalogue, by code, in display order."""
NORTH_STARS: tuple[str, ...] = tuple(m.code for m in _CATALOGUE if m.north_star)
"""The seeds' programme metrics, in display order."""
COMMERCE: tuple[str, ...] = tuple(m.code for m in _CATALOGUE if not m.north_star)
"""The classic commerce metrics beside them, in display order."""


def metric(code: str) -> Metric:
    """The metric ``code``; :class:`UnknownMetric` when the catalogue has none."""
    found = METRICS.get(code)
    if found is None:
        raise UnknownMetric(f"No metric has the code {code[:60]!r}.", field="metric")
    return found
