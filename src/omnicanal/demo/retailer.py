"""The fixed facts of the demo retailer: its brand, its places and its product families."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

BRAND = "Maison Lumière"
TIMEZONE = "Europe/Paris"
# A GS1 France company prefix (the 300-379 range is France's); item references follow it.
GTIN_COMPANY_PREFIX = "3770021"


class Tier(StrEnum):
    """How much a site holds: warehouses deep, the flagship large, small stores thin."""

    national_warehouse = "national_warehouse"
    regional_warehouse = "regional_warehouse"
    flagship = "flagship"
    large = "large"
    medium = "medium"
    small = "small"


@dataclass(frozen=True)
class Site:
    """A store or a warehouse of the chain."""

    code: str
    name: str
    address_line: str
    postcode: str
    city: str
    latitude: float
    longitude: float
    tier: Tier
    click_and_collect: bool = False
    ships: bool = False

    @property
    def is_warehouse(self) -> bool:
        return self.tier in (Tier.national_warehouse, Tier.regional_warehouse)

    @property
    def serves_web(self) -> bool:
        """Whether online orders can be fulfilled here (shipped from it or collected in it)."""
        return self.ships or self.click_and_collect


STORES: tuple[Site, ...] = (
    Site(
        "PARIS-01",
        f"{BRAND} Paris Rivoli",
        "112 rue de Rivoli",
        "75001",
        "Paris",
        48.8603,
        2.3431,
        Tier.flagship,
        click_and_collect=True,
        ships=True,
    ),
    Site(
        "LYON-01",
        f"{BRAND} Lyon République",
        "58 rue de la République",
        "69002",
        "Lyon",
        45.7623,
        4.8361,
        Tier.large,
        click_and_collect=True,
        ships=True,
    ),
    Site(
        "MARSEILLE-01",
        f"{BRAND} Marseille Saint-Ferréol",
        "45 rue Saint-Ferréol",
        "13001",
        "Marseille",
        43.2925,
        5.3781,
        Tier.large,
        click_and_collect=True,
        ships=True,
    ),
    Site(
        "TOULOUSE-01",
        f"{BRAND} Toulouse Alsace-Lorraine",
        "28 rue d'Alsace-Lorraine",
        "31000",
        "Toulouse",
        43.6035,
        1.4453,
        Tier.large,
        click_and_collect=True,
    ),
    Site(
        "BORDEAUX-01",
        f"{BRAND} Bordeaux Sainte-Catherine",
        "95 rue Sainte-Catherine",
        "33000",
        "Bordeaux",
        44.8380,
        -0.5735,
        Tier.large,
        click_and_collect=True,
        ships=True,
    ),
    Site(
        "LILLE-01",
        f"{BRAND} Lille rue Neuve",
        "31 rue Neuve",
        "59800",
        "Lille",
        50.6365,
        3.0640,
        Tier.large,
        click_and_collect=True,
        ships=True,
    ),
    Site(
        "NANTES-01",
        f"{BRAND} Nantes Crébillon",
        "8 rue Crébillon",
        "44000",
        "Nantes",
        47.2130,
        -1.5610,
        Tier.medium,
        click_and_collect=True,
    ),
    Site(
        "STRASBOURG-01",
        f"{BRAND} Strasbourg Grandes Arcades",
        "21 rue des Grandes Arcades",
        "67000",
        "Strasbourg",
        48.5833,
        7.7466,
        Tier.medium,
        click_and_collect=True,
    ),
    Site(
        "NICE-01",
        f"{BRAND} Nice Jean Médecin",
        "30 avenue Jean Médecin",
        "06000",
        "Nice",
        43.7005,
        7.2673,
        Tier.medium,
        click_and_collect=True,
    ),
    Site(
        "MONTPELLIER-01",
        f"{BRAND} Montpellier La Loge",
        "14 rue de la Loge",
        "34000",
        "Montpellier",
        43.6094,
        3.8772,
        Tier.medium,
    ),
    Site(
        "RENNES-01",
        f"{BRAND} Rennes Le Bastard",
        "5 rue Le Bastard",
        "35000",
        "Rennes",
        48.1119,
        -1.6797,
        Tier.small,
        click_and_collect=True,
    ),
    Site(
        "GRENOBLE-01",
        f"{BRAND} Grenoble Félix Poulat",
        "9 rue Félix Poulat",
        "38000",
        "Grenoble",
        45.1886,
        5.7252,
        Tier.small,
    ),
)

WAREHOUSES: tuple[Site, ...] = (
    Site(
        "WH-SARAN",
        "Entrepôt national Saran (Orléans)",
        "Parc logistique des Portes du Loiret, allée de la Garenne",
        "45770",
        "Saran",
        47.9437,
        1.8756,
        Tier.national_warehouse,
        ships=True,
    ),
    Site(
        "WH-SAINT-PRIEST",
        "Entrepôt régional Lyon Saint-Priest",
        "Zone industrielle Mi-Plaine, rue Maryse Bastié",
        "69800",
        "Saint-Priest",
        45.7210,
        4.9340,
        Tier.regional_warehouse,
        ships=True,
    ),
)

_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat")


def store_hours(site: Site) -> dict[str, list[list[str]]] | None:
    """A store's local opening hours (none for a warehouse): Monday to Saturday 10:00-19:00,
    the flagship until 20:00 and open on Sunday afternoon, the small stores closed for
    lunch, late opening on Thursday in the large ones."""
    if site.is_warehouse:
        return None
    if site.tier is Tier.flagship:
        hours = {day: [["10:00", "20:00"]] for day in _WEEK}
        return {**hours, "sun": [["11:00", "19:00"]]}
    if site.tier is Tier.small:
        week = [["10:00", "12:30"], ["14:00", "19:00"]]
        return {"mon": [], **{day: week for day in _WEEK[1:]}, "sun": []}
    hours = {day: [["10:00", "19:00"]] for day in _WEEK}
    if site.tier is Tier.large:
        hours["thu"] = [["10:00", "20:30"]]
    return {**hours, "sun": []}


# Mean units of a style-size held at a site, before the size curve and the category.
TIER_DEPTH: dict[Tier, float] = {
    Tier.national_warehouse: 30.0,
    Tier.regional_warehouse: 16.0,
    Tier.flagship: 7.0,
    Tier.large: 4.5,
    Tier.medium: 3.0,
    Tier.small: 2.0,
}
# Share of the styles a store ranges; warehouses range everything.
TIER_RANGE: dict[Tier, float] = {
    Tier.national_warehouse: 1.0,
    Tier.regional_warehouse: 1.0,
    Tier.flagship: 1.0,
    Tier.large: 0.85,
    Tier.medium: 0.7,
    Tier.small: 0.5,
}

ALPHA = ("XS", "S", "M", "L", "XL")
NUMERIC = ("34", "36", "38", "40", "42", "44", "46")
SHOES = tuple(str(size) for size in range(36, 46))
SHOES_WOMEN = tuple(str(size) for size in range(36, 42))
SHOES_MEN = tuple(str(size) for size in range(40, 46))
ONE_SIZE = ("TU",)

COLOURS: dict[str, str] = {
    "noir": "NOI",
    "blanc": "BLA",
    "écru": "ECR",
    "marine": "MAR",
    "bleu ciel": "CIE",
    "camel": "CAM",
    "beige": "BEI",
    "kaki": "KAK",
    "bordeaux": "BOR",
    "rouge": "ROU",
    "rose poudré": "ROS",
    "vert sapin": "SAP",
    "gris chiné": "GRI",
    "terracotta": "TER",
    "moutarde": "MOU",
    "chocolat": "CHO",
    "brut": "BRU",
    "délavé": "DEL",
    "bleu clair": "BCL",
    "cognac": "COG",
    "naturel": "NAT",
}
CLOTHING_COLOURS = (
    "noir",
    "blanc",
    "écru",
    "marine",
    "bleu ciel",
    "camel",
    "beige",
    "kaki",
    "bordeaux",
    "rouge",
    "rose poudré",
    "vert sapin",
    "gris chiné",
    "terracotta",
    "moutarde",
    "chocolat",
)
DENIM_COLOURS = ("brut", "délavé", "noir", "bleu clair", "écru")
LEATHER_COLOURS = ("noir", "cognac", "camel", "chocolat", "bordeaux", "naturel", "blanc")


@dataclass(frozen=True)
class Family:
    """A category of the range: its styles, sizes, price band, colours and materials."""

    category: str
    prefix: str
    styles: int
    types: tuple[str | tuple[str, tuple[str, ...]], ...]
    sizes: tuple[str, ...]
    price_euros: tuple[int, int]
    colours: tuple[str, ...]
    materials: tuple[str, ...]
    depth: float = 1.0

    def type_sizes(self, kind: str | tuple[str, tuple[str, ...]]) -> tuple[str, tuple[str, ...]]:
        """A type's name and its sizes (a type may have its own, like men's shoes)."""
        return kind if isinstance(kind, tuple) else (kind, self.sizes)


FAMILIES: tuple[Family, ...] = (
    Family(
        "Robes",
        "ROB",
        30,
        (
            "Robe portefeuille",
            "Robe chemise",
            "Robe longue",
            "Robe midi",
            "Robe pull",
            "Robe trapèze",
            "Robe fluide",
            "Robe à bretelles",
            "Robe plissée",
            "Robe smockée",
        ),
        ALPHA,
        (49, 149),
        CLOTHING_COLOURS,
        ("viscose", "lin", "coton biologique", "crêpe", "maille fine", "soie"),
    ),
    Family(
        "Chemises",
        "CHE",
        24,
        (
            "Chemise oxford",
            "Chemise en lin",
            "Chemise rayée",
            "Chemise col Mao",
            "Chemise en denim",
            "Chemise à carreaux",
            "Blouse",
            "Chemisier",
            "Surchemise",
        ),
        ALPHA,
        (39, 99),
        CLOTHING_COLOURS,
        ("coton", "lin", "popeline de coton", "viscose", "soie", "flanelle"),
    ),
    Family(
        "Pantalons",
        "PAN",
        18,
        (
            "Pantalon large",
            "Pantalon cigarette",
            "Pantalon à pinces",
            "Chino",
            "Pantalon cargo",
            "Pantalon en lin",
            "Pantalon de tailleur",
            "Pantalon droit",
        ),
        NUMERIC,
        (49, 119),
        CLOTHING_COLOURS,
        ("coton", "lin", "laine froide", "velours côtelé", "twill", "crêpe"),
    ),
    Family(
        "Jeans",
        "JEA",
        14,
        ("Jean droit", "Jean slim", "Jean flare", "Jean mom", "Jean large", "Jean bootcut"),
        NUMERIC,
        (59, 119),
        DENIM_COLOURS,
        ("denim japonais", "denim biologique", "denim stretch", "denim recyclé"),
        1.2,
    ),
    Family(
        "Vestes",
        "VES",
        14,
        (
            "Veste en jean",
            "Blazer",
            "Veste en velours",
            "Veste matelassée",
            "Perfecto",
            "Veste de travail",
            "Saharienne",
            "Veste teddy",
        ),
        ALPHA,
        (79, 199),
        CLOTHING_COLOURS,
        ("laine", "coton", "velours", "cuir", "denim", "lin"),
    ),
    Family(
        "Manteaux",
        "MAN",
        10,
        ("Trench", "Caban", "Manteau long", "Doudoune", "Parka", "Manteau croisé", "Duffle-coat"),
        ALPHA,
        (149, 249),
        CLOTHING_COLOURS,
        ("laine", "laine et cachemire", "gabardine de coton", "nylon recyclé"),
        0.6,
    ),
    Family(
        "Pulls",
        "PUL",
        24,
        (
            "Pull col rond",
            "Pull col V",
            "Cardigan",
            "Pull marin",
            "Col roulé",
            "Pull torsadé",
            "Sweat",
            "Gilet",
        ),
        ALPHA,
        (49, 129),
        CLOTHING_COLOURS,
        ("laine mérinos", "cachemire", "coton", "mohair", "alpaga", "molleton"),
    ),
    Family(
        "T-shirts",
        "TSH",
        26,
        (
            "T-shirt col rond",
            "T-shirt col V",
            "Marinière",
            "Débardeur",
            "T-shirt manches longues",
            "Polo",
            "T-shirt brodé",
        ),
        ALPHA,
        (19, 39),
        CLOTHING_COLOURS,
        ("coton biologique", "jersey de coton", "lin", "coton flammé"),
        1.6,
    ),
    Family(
        "Jupes",
        "JUP",
        14,
        (
            "Jupe plissée",
            "Jupe portefeuille",
            "Jupe crayon",
            "Jupe en jean",
            "Jupe midi",
            "Jupe trapèze",
            "Jupe longue",
        ),
        NUMERIC,
        (39, 99),
        CLOTHING_COLOURS,
        ("viscose", "lin", "coton", "satin", "laine", "denim"),
    ),
    Family(
        "Chaussures",
        "CHA",
        20,
        (
            ("Baskets", SHOES),
            ("Derbies", SHOES_MEN),
            ("Mocassins", SHOES),
            ("Bottines", SHOES_WOMEN),
            ("Ballerines", SHOES_WOMEN),
            ("Sandales", SHOES_WOMEN),
            ("Escarpins", SHOES_WOMEN),
            ("Espadrilles", SHOES),
            ("Chelsea boots", SHOES_MEN),
        ),
        SHOES,
        (69, 189),
        LEATHER_COLOURS,
        ("cuir lisse", "daim", "toile", "cuir vegan", "cuir grainé"),
        0.8,
    ),
    Family(
        "Sacs",
        "SAC",
        40,
        (
            "Sac cabas",
            "Sac bandoulière",
            "Sac seau",
            "Pochette",
            "Sac à dos",
            "Tote bag",
            "Sac banane",
            "Besace",
            "Sac porté épaule",
        ),
        ONE_SIZE,
        (59, 229),
        LEATHER_COLOURS,
        ("cuir grainé", "cuir lisse", "toile de coton", "raphia", "daim"),
        2.0,
    ),
    Family(
        "Accessoires",
        "ACC",
        66,
        (
            "Écharpe",
            "Foulard",
            "Bonnet",
            "Ceinture",
            "Casquette",
            "Gants",
            "Chapeau",
            "Porte-cartes",
            "Lunettes de soleil",
            "Chaussettes",
            "Bob",
            "Étui à lunettes",
        ),
        ONE_SIZE,
        (19, 59),
        CLOTHING_COLOURS,
        ("laine", "soie", "cuir", "coton", "cachemire", "paille"),
        2.5,
    ),
)

STYLE_NAMES = (
    "Alma",
    "Gaspard",
    "Léon",
    "Jeanne",
    "Louise",
    "Suzanne",
    "Colette",
    "Simone",
    "Marcel",
    "Anatole",
    "Victor",
    "Rose",
    "Capucine",
    "Margaux",
    "Apolline",
    "Hortense",
    "Félix",
    "Jules",
    "Lucien",
    "Odette",
    "Paulette",
    "Berthe",
    "Clémence",
    "Aurèle",
    "Basile",
    "Céleste",
    "Dahlia",
    "Edmond",
    "Églantine",
    "Fernand",
    "Gustave",
    "Henriette",
    "Irène",
    "Joséphine",
    "Lazare",
    "Mathilde",
    "Noémie",
    "Octave",
    "Pia",
    "Raymonde",
    "Sacha",
    "Solène",
    "Théodore",
    "Ulysse",
    "Valentine",
    "Yvonne",
    "Zélie",
    "Agathe",
    "Blanche",
    "Camille",
    "Diane",
    "Elsa",
    "Flore",
    "Garance",
    "Inès",
    "Judith",
    "Lise",
    "Maëlle",
    "Nina",
    "Olympe",
    "Philippine",
    "Romane",
    "Salomé",
    "Tess",
    "Violette",
    "Armand",
    "Bastien",
    "Côme",
    "Émile",
    "Firmin",
    "Hippolyte",
    "Marius",
    "Nestor",
    "Oscar",
    "Rémi",
    "Sylvain",
    "Timothée",
    "Augustin",
)

FINISHES = (
    "Coupe ajustée.",
    "Coupe ample.",
    "Coupe droite.",
    "Fabriqué au Portugal.",
    "Fabriqué en France.",
    "Tissé en Italie.",
    "Finitions main.",
    "Collection permanente.",
)
