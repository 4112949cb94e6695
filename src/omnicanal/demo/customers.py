"""The demo's customers: about 20,000 French people, their households and their web, app
and in-store activity, sent through the tracking service as their sources would send it.

Identifiers are as messy as real ones: phones typed in every French format, emails with
odd capitals and spaces, names in capitals without accents (and a typo now and then) at the
till, households sharing a landline and an address, a family computer's cookie, and a
tablet in the Lyon and Paris stores on which customers sign up. The same seed gives the
same people and the same messages (times are relative to ``until``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

import phonenumbers
from sqlalchemy.orm import Session

from omnicanal.platform.clock import utcnow
from omnicanal.tracking import service as tracking
from omnicanal.tracking.service import SourceKind, SourceView
from omnicanal.tracking.spec import ParsedMessage, parse_message

if TYPE_CHECKING:
    from omnicanal.demo.generate import DemoRetailer

__all__ = ["Person", "create_customers", "generate_customers", "person_messages", "plan_people"]

CHUNK = 2000
ORDER_CUSTOMERS = 700
TABLET_STORES = ("LYON-01", "PARIS-01")
PAGES = ("Accueil", "Nouveautés", "Robes", "Vestes", "Sacs", "Soldes", "Chaussures")
CATEGORIES = ("Robes", "Vestes", "Pantalons", "Sacs", "Chaussures", "Accessoires", "Pulls")

# fmt: off
GIVEN_F = (
    "Marie", "Camille", "Léa", "Chloé", "Manon", "Emma", "Inès", "Sarah", "Julie", "Clara",
    "Anaïs", "Hélène", "Élodie", "Céline", "Sophie", "Nathalie", "Isabelle", "Aurélie",
    "Mélanie", "Gaëlle", "Zoé", "Maëlys", "Océane", "Lucie", "Pauline", "Valérie", "Brigitte",
    "Françoise", "Agnès", "Bérénice", "Noémie", "Margaux", "Juliette", "Laëtitia", "Amélie",
    "Alice", "Louise", "Jeanne", "Rose", "Anna", "Lina", "Mila", "Ambre", "Agathe", "Victoire",
    "Capucine", "Apolline", "Romane", "Clémence", "Mathilde", "Éloïse", "Héloïse", "Solène",
    "Maëlle", "Coralie", "Sandrine", "Véronique", "Christine", "Martine", "Sylvie",
    "Catherine", "Patricia", "Florence", "Émilie", "Audrey", "Virginie", "Stéphanie", "Karine",
    "Laure", "Morgane", "Estelle",
)
GIVEN_M = (
    "Jean", "Pierre", "Louis", "Lucas", "Hugo", "Thomas", "Nicolas", "Julien", "Antoine",
    "François", "Éric", "Stéphane", "Benoît", "Jérôme", "Sébastien", "Théo", "Mathéo", "Noël",
    "Loïc", "Gaël", "Rémi", "Frédéric", "Hervé", "Raphaël", "Maxime", "Olivier", "Cédric",
    "Jérémy", "Adrien", "Grégoire", "Gabriel", "Léo", "Arthur", "Jules", "Adam", "Nathan",
    "Ethan", "Paul", "Victor", "Martin", "Baptiste", "Clément", "Quentin", "Romain",
    "Alexandre", "Vincent", "Guillaume", "Laurent", "Philippe", "Christophe", "Thierry",
    "Didier", "Patrick", "Pascal", "Dominique", "Yves", "Joël", "Anthony", "Kévin", "Florian",
    "Valentin", "Aurélien", "Bastien", "Killian", "Yannick",
)
FAMILY = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont",
    "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau",
    "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
    "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
    "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier",
    "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Pérez", "Marchand",
    "Dufour", "Blanchard", "Marie", "Barbier", "Brun", "Dumas", "Brunet", "Schmitt", "Leroux",
    "Colin", "Fernandez", "Pierre", "Renard", "Arnaud", "Rolland", "Caron", "Aubert", "Giraud",
    "Leclerc", "Vidal", "Bourgeois", "Renaud", "Lemoine", "Picard", "Gaillard", "Philippe",
    "Leclercq", "Lacroix", "Fabre", "Dupuis", "Olivier", "Rodriguez", "Da Silva", "Hubert",
    "Louis", "Charles", "Guillot", "Rivière", "Le Gall", "Guillaume", "Adam", "Rey", "Moulin",
    "Gonzalez", "Berger", "Lecomte", "Ménard", "Fleury", "Deschamps", "Carpentier", "Julien",
    "Benoît", "Paris", "Maillard", "Marchal", "Aubry", "Vasseur", "Le Roux", "Renault",
    "Jacquet", "Collet", "Prévost", "Poirier", "Charpentier", "Royer", "Huet", "Baron",
    "Dupuy", "Pons", "Paul", "Laine", "Carré", "Breton", "Rémy", "Schneider", "Pereira",
    "Besnard", "Bégué", "Hoarau", "Sauvage", "Géraud", "Lévêque", "Lejeune", "Marty",
    "Bouvier", "Cordier", "Cousin", "Vaillant", "Langlois", "Hamon", "Tessier", "Pichon",
    "Guyot", "Lebrun", "Riviere", "Delaunay", "Leblanc", "Bailly", "Hervé", "Herve", "Millet",
    "Perret", "Leconte", "Lebon", "Texier", "Mallet", "Bouchet", "Germain", "Poulain",
    "Besson", "Charrier", "Humbert", "Lemaître", "Guillou", "Tanguy", "Le Goff", "Le Bihan",
    "Kerjean", "Quéméner", "Riou", "Salaün", "Le Floch", "Morvan", "Jaouen", "Le Corre",
    "Etienne", "Weber", "Klein", "Wagner", "Becker", "Hoffmann", "Koch", "Zimmermann", "Haas",
    "Fischer", "Keller", "Kieffer", "Antoine", "Bonnin", "Chauvin", "Coulon", "Devaux",
    "Drouet", "Ferrand", "Guichard", "Jourdan", "Lacombe", "Lagarde", "Leduc", "Martel",
    "Maurice", "Monnier", "Navarro", "Ollivier", "Pasquier", "Pineau", "Raynaud", "Sabatier",
    "Thibault", "Vallet", "Blondel", "Buisson", "Castel", "Chevallier", "Cochet", "Daniel",
    "Delmas", "Ducrocq", "Duhamel", "Favre", "Forestier", "Gaudin", "Gilbert", "Grondin",
    "Hoareau", "Payet", "Técher", "Boucher", "Labbé", "Laporte", "Lebreton", "Lefort",
    "Marechal", "Maréchal", "Mathis", "Michaud", "Ollier", "Parent", "Peltier", "Perrot",
    "Pottier", "Poulet", "Raymond", "Renaudin", "Ribeiro", "Rocher", "Rousset", "Serre",
    "Tournier", "Valentin", "Vaillancourt", "Verdier", "Vial", "Voisin", "Bastien", "Bouquet",
    "Camus", "Chapuis", "Charbonnier", "Delorme", "Descamps", "Dubreuil", "Dumoulin",
    "Grenier", "Guerin", "Jacob", "Lamy", "Lenoir", "Leroy-Martin", "Mahé", "Marion",
    "Métayer", "Noel", "Pages", "Pagès", "Sauvageot", "Thomassin", "Benard", "Bénard", "Bodin",
    "Bouvet",
)
STREETS = (
    "rue de la République", "avenue Jean Jaurès", "rue Victor Hugo", "boulevard Gambetta",
    "rue Pasteur", "rue du Général de Gaulle", "avenue de la Libération", "rue des Lilas",
    "rue de la Paix", "place de l'Église", "rue Émile Zola", "chemin des Vignes",
    "rue Voltaire", "allée des Tilleuls", "rue du Moulin", "impasse des Écoles",
    "rue Jules Ferry", "avenue Foch", "rue Nationale", "quai de la Loire",
)
MAIL_DOMAINS = (
    "gmail.com", "orange.fr", "hotmail.fr", "free.fr", "yahoo.fr", "laposte.net", "sfr.fr",
    "outlook.fr", "wanadoo.fr", "icloud.com",
)
# fmt: on
AREAS: dict[str, tuple[str, tuple[str, ...], str]] = {
    # store code: (city, postcodes, landline prefix)
    "PARIS-01": ("Paris", tuple(f"750{n:02d}" for n in range(1, 21)), "01"),
    "LYON-01": ("Lyon", tuple(f"6900{n}" for n in range(1, 10)), "04"),
    "MARSEILLE-01": ("Marseille", tuple(f"130{n:02d}" for n in range(1, 16)), "04"),
    "TOULOUSE-01": ("Toulouse", ("31000", "31100", "31200", "31300", "31400", "31500"), "05"),
    "BORDEAUX-01": ("Bordeaux", ("33000", "33100", "33200", "33300", "33800"), "05"),
    "LILLE-01": ("Lille", ("59000", "59160", "59260", "59800", "59777"), "03"),
    "NANTES-01": ("Nantes", ("44000", "44100", "44200", "44300"), "02"),
    "STRASBOURG-01": ("Strasbourg", ("67000", "67100", "67200"), "03"),
    "NICE-01": ("Nice", ("06000", "06100", "06200", "06300"), "04"),
    "MONTPELLIER-01": ("Montpellier", ("34000", "34070", "34080", "34090"), "04"),
    "RENNES-01": ("Rennes", ("35000", "35200", "35700"), "02"),
    "GRENOBLE-01": ("Grenoble", ("38000", "38100"), "04"),
}
STORE_WEIGHTS = {"PARIS-01": 5, "LYON-01": 4, "MARSEILLE-01": 3}
PHONE_FORMS = (
    "{a}{b} {c} {d} {e} {f}",
    "{a}{b}.{c}.{d}.{e}.{f}",
    "{a}{b}{c}{d}{e}{f}",
    "+33{b}{c}{d}{e}{f}",
    "+33 {b} {c} {d} {e} {f}",
    "{a}{b}-{c}-{d}-{e}-{f}",
    "0033{b}{c}{d}{e}{f}",
    "+33 (0){b} {c} {d} {e} {f}",
)


@dataclass
class Person:
    """One demo customer: who they are, where they live, what identifies them."""

    index: int
    given: str
    family: str
    birth: date
    street: str
    postcode: str
    city: str
    store: str
    mobile: str | None
    email: str | None
    login: str | None
    loyalty_card: str | None
    till_number: str | None
    landline: str | None = None
    household: int | None = None
    family_cookie: str | None = None
    channels: set[str] = field(default_factory=set)


def strip_accents(text: str) -> str:
    """'Hélène Lefèvre' → 'Helene Lefevre', as many tills type it."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


MOBILE_PREFIXES = (
    "060",
    "061",
    "062",
    "064",
    "065",
    "066",
    "067",
    "068",
    "073",
    "075",
    "076",
    "077",
    "078",
)


def _mobile(rng: Random) -> str:
    """A French mobile number (06 or 07, in ranges that are all allocated), national form."""
    return f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**7):07d}"


def _landline(rng: Random, prefix: str) -> str:
    """A valid French landline number of the area (``01`` Paris, ``04`` south-east...)."""
    while True:
        number = f"{prefix}{rng.randrange(10**8):08d}"
        if phonenumbers.is_valid_number(phonenumbers.parse(number, "FR")):
            return number


def typed_phone(national: str, rng: Random) -> str:
    """A ten-digit French number written in one of the ways people and tills write it."""
    a, b = national[0], national[1]
    pairs = [national[i : i + 2] for i in range(2, 10, 2)]
    return rng.choice(PHONE_FORMS).format(a=a, b=b, c=pairs[0], d=pairs[1], e=pairs[2], f=pairs[3])


def typed_email(email: str, rng: Random) -> str:
    """An email as a form or a clerk typed it: odd capitals, stray spaces."""
    roll = rng.random()
    if roll < 0.15:
        local, domain = email.split("@")
        return f"{local.title()}@{domain.capitalize()}"
    if roll < 0.25:
        return f" {email} "
    return email


def _typo(text: str, rng: Random) -> str:
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    return (
        text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        if rng.random() < 0.5
        else (text[:i] + text[i + 1 :])
    )


def till_name(person: Person, rng: Random) -> tuple[str, str]:
    """(first name, last name) as a till clerk types them: capitals, no accents, initials,
    now and then a typo or the names swapped."""
    family = strip_accents(person.family).upper()
    given = strip_accents(person.given)
    if rng.random() < 0.4:
        given = given[0].upper() + "."
    elif rng.random() < 0.5:
        given = given.upper()
    if rng.random() < 0.04:
        family = _typo(family, rng)
    if rng.random() < 0.02:
        return family.title(), given
    return given, family


def _email(given: str, family: str, born: int, rng: Random, taken: set[str]) -> str:
    g = strip_accents(given).lower().replace(" ", "")
    f = strip_accents(family).lower().replace(" ", "").replace("-", "")
    year, n = born % 100, rng.randrange(1, 100)
    patterns = (
        f"{g}.{f}", f"{g[0]}{f}", f"{f}.{g}", f"{g}{f}{year:02d}", f"{g}.{f}{born}",
        f"{g[0]}.{f}{n}", f"{g}_{f}", f"{f}{g[0]}{n}", f"{g}{n}", f"{f}.{g}{year:02d}",
    )  # fmt: skip
    first = rng.randrange(len(patterns))
    for local in (*patterns[first:], *patterns[:first], f"{g}.{f}{rng.randrange(10**4)}"):
        email = f"{local}@{rng.choice(MAIL_DOMAINS)}"
        if email not in taken:
            taken.add(email)
            return email
    raise AssertionError("no free email")  # pragma: no cover


def plan_people(rng: Random, count: int, stores: tuple[str, ...]) -> list[Person]:
    """``count`` customers around the given stores; about one in twelve lives with another
    customer (same address, same landline)."""
    areas = [code for code in stores if code in AREAS] or list(AREAS)
    weights = [STORE_WEIGHTS.get(code, 1) for code in areas]
    taken: set[str] = set()
    people: list[Person] = []
    today = date(2026, 1, 1)
    for index in range(count):
        store = rng.choices(areas, weights)[0]
        city, postcodes, _ = AREAS[store]
        female = rng.random() < 0.62
        given = rng.choice(GIVEN_F if female else GIVEN_M)
        family = rng.choice(FAMILY)
        channels = {c for c, p in (("web", 0.55), ("app", 0.3), ("store", 0.7)) if rng.random() < p}
        channels = channels or {"store"}
        birth = today - timedelta(days=rng.randrange(18 * 365, 80 * 365))
        person = Person(
            index=index,
            given=given,
            family=family,
            birth=birth,
            street=f"{rng.randrange(1, 120)} {rng.choice(STREETS)}",
            postcode=rng.choice(postcodes),
            city=city,
            store=store,
            mobile=_mobile(rng) if rng.random() < 0.85 else None,
            email=_email(given, family, birth.year, rng, taken) if rng.random() < 0.75 else None,
            login=None,
            loyalty_card=f"FID{rng.randrange(10**9, 10**10)}" if rng.random() < 0.5 else None,
            till_number=None,
            channels=channels,
        )
        if index < ORDER_CUSTOMERS:
            # The demo's orders name customers CUST-00001…: those are these people's logins.
            person.channels.add("web")
            person.email = person.email or _email(given, family, birth.year, rng, taken)
        if "web" in person.channels and person.email:
            person.login = f"CUST-{index + 1:05d}"
        if "store" in channels:
            person.till_number = f"POS-{store[:3]}-{200000 + index}"
        people.append(person)
    _make_households(rng, people)
    return people


def _make_households(rng: Random, people: list[Person]) -> None:
    """Pair some customers of the same area as a household: one address, one landline,
    sometimes one family computer."""
    by_area: dict[str, list[Person]] = {}
    for person in people:
        by_area.setdefault(person.store, []).append(person)
    household = 0
    for area, residents in by_area.items():
        _, _, prefix = AREAS[area]
        pool = residents[:]
        rng.shuffle(pool)
        pairs = len(pool) // 24
        for n in range(pairs):
            first, second = pool[2 * n], pool[2 * n + 1]
            landline = _landline(rng, prefix)
            cookie = f"family-pc-{area}-{n}" if rng.random() < 0.3 else None
            second.family = first.family if rng.random() < 0.7 else second.family
            second.street, second.postcode = first.street, first.postcode
            for member in (first, second):
                member.landline = landline
                member.household = household
                member.family_cookie = cookie
                member.channels.add("store")
                if member.till_number is None:
                    member.till_number = f"POS-{area[:3]}-{200000 + member.index}"
            household += 1


# -- their activity, as tracking messages ---------------------------------------------------

Message = tuple[str, dict[str, Any]]
"""(source name, Segment-spec message)."""


@dataclass
class _Clock:
    """Times of one person's activity: a start in the window, then forward steps."""

    at: datetime

    def step(self, rng: Random, minutes: tuple[int, int] = (1, 20)) -> str:
        self.at += timedelta(minutes=rng.randint(*minutes), seconds=rng.randrange(60))
        return self.at.isoformat().replace("+00:00", "Z")

    def message(
        self, source: str, rng: Random, minutes: tuple[int, int] = (1, 20), **fields: Any
    ) -> Message:
        """A message from ``source``, a few minutes after the previous one."""
        return source, {**fields, "timestamp": self.step(rng, minutes)}


def _order(rng: Random, order_id: str) -> dict[str, Any]:
    products: list[dict[str, Any]] = [
        {"category": rng.choice(CATEGORIES), "price": round(rng.uniform(19, 189), 2), "quantity": 1}
        for _ in range(rng.randint(1, 3))
    ]
    total = round(sum(p["price"] for p in products), 2)
    return {"order_id": order_id, "total": total, "currency": "EUR", "products": products}


def _web(person: Person, rng: Random, clock: _Clock) -> list[Message]:
    cookie = person.family_cookie if person.family_cookie and rng.random() < 0.6 else None
    cookie = cookie or f"web-{person.index}-{rng.randrange(10**6)}"
    out: list[Message] = []
    for _ in range(rng.randint(1, 4)):
        out.append(
            clock.message("web", rng, type="page", anonymousId=cookie, name=rng.choice(PAGES))
        )
    if person.login:
        traits: dict[str, Any] = {"email": typed_email(person.email or "", rng)}
        traits.update(first_name=person.given, last_name=person.family)
        if person.mobile and rng.random() < 0.35:
            traits["phone"] = typed_phone(person.mobile, rng)
        if rng.random() < 0.6:
            traits["birthday"] = person.birth.isoformat()
        if rng.random() < 0.5:
            address = {"street": person.street, "postal_code": person.postcode}
            traits["address"] = {**address, "city": person.city}
        identify: dict[str, Any] = {"userId": person.login, "anonymousId": cookie, "traits": traits}
        out.append(clock.message("web", rng, type="identify", **identify))
    elif person.email and rng.random() < 0.4:
        newsletter: dict[str, Any] = {
            "anonymousId": cookie,
            "traits": {"email": typed_email(person.email, rng)},
        }
        out.append(clock.message("web", rng, type="identify", **newsletter))
    who: dict[str, Any] = {"userId": person.login} if person.login else {"anonymousId": cookie}
    for _ in range(rng.randint(1, 2)):
        product = {"sku": f"SKU-{rng.randrange(1500):04d}", "category": rng.choice(CATEGORIES)}
        viewed: dict[str, Any] = {"event": "Product Viewed", "properties": product}
        out.append(clock.message("web", rng, type="track", **who, **viewed))
    if person.login and rng.random() < 0.25:
        order = _order(rng, f"W-{person.index}-{rng.randrange(10**6)}")
        bought: dict[str, Any] = {"event": "Order Completed", "properties": order}
        out.append(clock.message("web", rng, type="track", **who, **bought))
    return out


def _app(person: Person, rng: Random, clock: _Clock) -> list[Message]:
    install = f"app-{person.index}"
    system = "ios" if rng.random() < 0.5 else "android"
    device = {"device": {"id": f"device-{person.index}", "type": system}}
    out: list[Message] = []
    for _ in range(rng.randint(1, 3)):
        screen: dict[str, Any] = {
            "anonymousId": install,
            "name": rng.choice(PAGES),
            "context": device,
        }
        out.append(clock.message("app", rng, type="screen", **screen))
    traits: dict[str, Any] = {}
    if person.loyalty_card:
        traits["loyalty_card"] = person.loyalty_card
    if person.email and rng.random() < 0.8:
        traits["email"] = typed_email(person.email, rng)
    if traits and rng.random() < 0.7:
        traits.update(first_name=person.given, last_name=person.family)
        if rng.random() < 0.5:
            traits["birthday"] = person.birth.isoformat()
    if traits:
        login = {"userId": person.login} if person.login and rng.random() < 0.5 else {}
        identify: dict[str, Any] = {
            "anonymousId": install,
            "context": {**device, "traits": traits},
            **login,
        }
        out.append(clock.message("app", rng, type="identify", **identify))
    return out


def _store(person: Person, rng: Random, clock: _Clock) -> list[Message]:
    source = f"store:{person.store}"
    out: list[Message] = []
    for visit in range(rng.randint(1, 2)):
        given, family = till_name(person, rng)
        traits: dict[str, Any] = {"customer_number": person.till_number}
        traits.update(first_name=given, last_name=family)
        if rng.random() < 0.85:  # "votre code postal ?"
            traits["postal_code"] = person.postcode
        if rng.random() < 0.45:
            traits["birthday"] = person.birth.strftime("%Y-%m-%d")
        if rng.random() < 0.35:
            traits["street"] = strip_accents(person.street).upper()
            traits["city"] = person.city.upper()
        phone = person.landline if person.landline and rng.random() < 0.7 else person.mobile
        if phone and rng.random() < 0.85:
            traits["phone"] = typed_phone(phone, rng)
        if person.loyalty_card and rng.random() < 0.6:
            card = person.loyalty_card
            spaced = f"{card[:3]} {card[3:8]} {card[8:]}"
            traits["loyalty_card"] = spaced if rng.random() < 0.5 else card
        till = f"till-{person.store}-{person.index}-{visit}"
        identify: dict[str, Any] = {"anonymousId": till, "traits": traits}
        if person.store in TABLET_STORES and rng.random() < 0.06:
            identify["context"] = {"device": {"id": f"TABLETTE-{person.store}"}}
            if person.email:
                traits["email"] = person.email
        days = (60 * 24, 60 * 24 * 20)
        out.append(clock.message(source, rng, days, type="identify", **identify))
        bought: dict[str, Any] = {
            "event": "Order Completed",
            "properties": _order(rng, f"T-{person.index}-{visit}"),
        }
        out.append(clock.message(source, rng, (2, 6), type="track", anonymousId=till, **bought))
    return out


def person_messages(
    person: Person, rng: Random, *, until: datetime, days: int = 90
) -> list[Message]:
    """What one person's web, app and till sessions send, in their own time order."""
    out: list[Message] = []
    for channel, make in (("store", _store), ("web", _web), ("app", _app)):
        if channel in person.channels:
            # Store visits run on for weeks after the first; a web or app session, minutes.
            margin = 30 if channel == "store" else 1
            start = (
                until
                - timedelta(days=days)
                + timedelta(minutes=rng.randrange((days - margin) * 24 * 60))
            )
            for n, (source, message) in enumerate(make(person, rng, _Clock(start))):
                message["messageId"] = f"demo-{person.index}-{channel}-{n}"
                out.append((source, message))
    return out


def _sources(session: Session, stores: tuple[str, ...]) -> dict[str, SourceView]:
    wanted: list[tuple[str, SourceKind, str, str | None]] = [
        ("web", SourceKind.web, "Site web", None),
        ("app", SourceKind.app, "Application", None),
    ]
    wanted += [(f"store:{code}", SourceKind.store, f"Caisses {code}", code) for code in stores]
    created = {}
    for name, kind, label, code in wanted:
        created[name], _ = tracking.create_source(
            session, kind=kind, name=label, location_code=code
        )
    return created


def generate_customers(
    session: Session,
    rng: Random,
    *,
    count: int = 20_000,
    stores: tuple[str, ...] = tuple(AREAS),
    until: datetime | None = None,
    report: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Plan ``count`` customers and send their activity through the tracking service, in
    time order, a chunk at a time, in the caller's transaction; returns what was sent."""
    until = until or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    people = plan_people(rng, count, stores)
    messages = [m for person in people for m in person_messages(person, rng, until=until)]
    messages.sort(key=lambda item: item[1]["timestamp"])
    sources = _sources(session, tuple(code for code in stores if code in AREAS))
    sent = rejected = 0
    for start in range(0, len(messages), CHUNK):
        received_at = utcnow()
        items: list[tuple[SourceView, ParsedMessage]] = []
        for index, (source, raw) in enumerate(messages[start : start + CHUNK], start=start):
            parsed = parse_message(raw, index=index, received_at=received_at, max_bytes=None)
            if isinstance(parsed, ParsedMessage):
                items.append((sources[source], parsed))
            else:
                rejected += 1
        result = tracking.ingest_many(session, items=items, received_at=received_at, announce=False)
        sent += len(result.accepted)
        if report is not None:
            report(min(start + CHUNK, len(messages)), len(messages))
    _index_for_matching(session)
    return {"people": len(people), "messages": sent, "rejected": rejected}


def _index_for_matching(session: Session) -> None:
    """Index the demo's person records, so that the next till or web record is matched
    with them in real time (``omnicanal customers match`` refits and reindexes)."""
    from omnicanal.customers.matching import Matcher
    from omnicanal.customers.service.matching import index_people, person_records

    index_people(session, records=person_records(session), matcher=Matcher(), replace=True)


def create_customers(
    session: Session, demo: DemoRetailer, rng: Random, report: Callable[[int, int], None]
) -> None:
    """The demo step: about 20,000 customers and their web, app and in-store activity."""
    generate_customers(session, rng, stores=tuple(site.code for site in demo.stores), report=report)
