"""A messy French customer base as a retailer sends it: Segment ``identify`` messages with
their ground truth (person, household). ``tests/customers/scoring.py`` scores a clustering
of them.

``generate(people=3000, seed=0)`` draws people (Faker fr_FR names, real French postcodes and
number plans), puts them in households, then writes one ``identify`` per record a channel
keeps of them. The same seed gives the same set, message for message. The mix, as drawn:

People and households
* households of 1 to 5 people: sizes 1/2/3/4/5 with weights 60/25/8/5/2 (so ~63 % of people
  share a home); every member has the household's address; 85 % share the family name;
* a landline for 70 % of multi-person households and 35 % of single ones, shared by every
  member: 01-05 by the region of the postcode, or a 09 box line (30 % of landlines);
* a family e-mail (``famille.nom@…``, or one member's address used by another) in 25 % of
  multi-person households; a loyalty card for 50 % of people, lent to another member of the
  household at the till in 20 % of households holding one;
* a personal mobile (06/07, valid for the French plan) for 80 % of people, a personal e-mail
  for 85 % (gmail 35, orange 15, hotmail 12, free 12, sfr 8, wanadoo 7, laposte 6, yahoo 5;
  local parts prenom.nom, p.nom, nom.prenom85, prenomnom, prenom_nom, with digits when taken);
* namesakes: in 6 % of multi-person households a child bears a parent's given name (father
  and son), and 3 % of people share their full name with someone of another household;
  with the common names Faker draws by chance, ~11 % of people have a namesake.

Records (1-5 per person, weights 25/35/25/10/5), each from one source
* till (``store``, 35 %): names in capitals without accents half of the time, the phone as
  typed (mobile, else landline), the loyalty card, an e-mail half of the time;
* web (30 %): full names, e-mail, mobile 60 %, address 80 %, a ``userId`` for account holders;
* app (15 %): names, e-mail, mobile, the phone's device id; the same ``userId`` as the web;
* e-mail platform (``email``, 10 %): e-mail and given name, sometimes the family name (it
  keeps its contacts by their address: a person without any is on the web shop's list);
* service desk (``service_desk``, 10 %): names, phone (the landline half of the time),
  address, more typos.
* phones in every French form ("06 12 34 56 78", "06.12.34.56.78", "+33 6 12 34 56 78",
  "0612345678", "+33 (0)6 12 34 56 78", "06-12-34-56-78");
* 8 % of records carry only name + address + landline (no e-mail, mobile or card); besides,
  a record other than the e-mail platform's drops its e-mail 10 % of the time, and its
  mobile 15 %. In all, ~15 % of records have a phone and an address but no e-mail or card,
  and ~8 % no e-mail, phone or card;
* typos in 12 % of records (a keyboard neighbour, a dropped accent, two letters swapped),
  streets (15 % of them "Saint-…"/"Sainte-…") and towns abbreviated ("Bd", "Av.", "Pl.",
  "St-", "Ste-") in 30 % of addresses, an apartment line before the street in 5 %;
* a shared store tablet: 3 % of till records come from one tablet (one anonymousId and
  device id for everyone who uses it);
* traps: 1 % of till records give the placeholder "06 00 00 00 00", 1 % the shop's generic
  e-mail ("contact@magasin.fr"); 1 % of records give an invalid phone ("0000000000" or a
  07 number outside the plan) and 1 % an e-mail with an accent in its local part.

Timestamps run over the 300 days before ``until`` (default 2026-11-01), messages in time
order; ``sentAt`` a few seconds after ``timestamp``.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import Any

import phonenumbers
from faker import Faker

__all__ = [
    "GENERIC_EMAIL",
    "PLACEHOLDER_MOBILE",
    "SOURCES",
    "TABLET_ID",
    "MessySet",
    "Person",
    "Record",
    "fold",
    "generate",
    "pairs_within",
    "typed_phone",
    "typo",
]

SOURCES = ("store", "web", "app", "email", "service_desk")
SOURCE_WEIGHTS = (35, 30, 15, 10, 10)
HOUSEHOLD_SIZES = ((1, 60), (2, 25), (3, 8), (4, 5), (5, 2))
RECORD_COUNTS = ((1, 25), (2, 35), (3, 25), (4, 10), (5, 5))
PROVIDERS = (
    ("gmail.com", 35),
    ("orange.fr", 15),
    ("hotmail.fr", 12),
    ("free.fr", 12),
    ("sfr.fr", 8),
    ("wanadoo.fr", 7),
    ("laposte.net", 6),
    ("yahoo.fr", 5),
)
PLACEHOLDER_MOBILE = "06 00 00 00 00"
GENERIC_EMAIL = "contact@magasin.fr"
TABLET_ID = "tablette-magasin-lyon-01"
UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=300)
"""Records happen over the 300 days before ``until``: within the 13 months a server keeps
tracking messages (``retention_tracking_days``), so a live run loses none of them."""

# Real postcodes and their towns, with the landline prefix of their region (01 Ile-de-France,
# 02 North-West, 03 North-East, 04 South-East, 05 South-West).
PLACES = (
    ("75011", "Paris", "01"), ("75015", "Paris", "01"), ("92100", "Boulogne-Billancourt", "01"),
    ("93100", "Montreuil", "01"), ("94300", "Vincennes", "01"), ("78000", "Versailles", "01"),
    ("91300", "Massy", "01"), ("95000", "Cergy", "01"), ("77300", "Fontainebleau", "01"),
    ("44000", "Nantes", "02"), ("35000", "Rennes", "02"), ("29200", "Brest", "02"),
    ("76000", "Rouen", "02"), ("14000", "Caen", "02"), ("37000", "Tours", "02"),
    ("49100", "Angers", "02"), ("45000", "Orléans", "02"), ("59000", "Lille", "03"),
    ("67000", "Strasbourg", "03"), ("51100", "Reims", "03"), ("54000", "Nancy", "03"),
    ("57000", "Metz", "03"), ("21000", "Dijon", "03"), ("25000", "Besançon", "03"),
    ("80000", "Amiens", "03"), ("69003", "Lyon", "04"), ("69100", "Villeurbanne", "04"),
    ("13001", "Marseille", "04"), ("13100", "Aix-en-Provence", "04"), ("06000", "Nice", "04"),
    ("38000", "Grenoble", "04"), ("34000", "Montpellier", "04"), ("42000", "Saint-Étienne", "04"),
    ("63000", "Clermont-Ferrand", "04"), ("83000", "Toulon", "04"), ("33000", "Bordeaux", "05"),
    ("31000", "Toulouse", "05"), ("64000", "Pau", "05"), ("87000", "Limoges", "05"),
    ("86000", "Poitiers", "05"), ("17000", "La Rochelle", "05"), ("66000", "Perpignan", "04"),
)  # fmt: skip
STREET_KINDS = (
    ("rue", "R."), ("avenue", "Av."), ("boulevard", "Bd"), ("place", "Pl."),
    ("allée", "All."), ("impasse", "Imp."), ("chemin", "Ch."),
)  # fmt: skip
KEYBOARD = {
    "a": "zq", "z": "aes", "e": "zrd", "r": "etf", "t": "ryg", "y": "tuh", "u": "yij",
    "i": "uok", "o": "ipl", "p": "om", "q": "asw", "s": "qdz", "d": "sfe", "f": "dgr",
    "g": "fht", "h": "gjy", "j": "hku", "k": "jli", "l": "kmo", "m": "lp", "w": "xq",
    "x": "wc", "c": "xv", "v": "cb", "b": "vn", "n": "bm",
}  # fmt: skip
PHONE_FORMS = (
    "{a} {b} {c} {d} {e}",
    "{a}.{b}.{c}.{d}.{e}",
    "+33 {a1} {b} {c} {d} {e}",
    "{a}{b}{c}{d}{e}",
    "+33 (0){a1} {b} {c} {d} {e}",
    "{a}-{b}-{c}-{d}-{e}",
)


@dataclass(frozen=True)
class Person:
    """One real person of the set (the ground truth)."""

    person_id: str
    household_id: str
    given_name: str
    family_name: str
    birth_date: date
    street: str
    postcode: str
    city: str
    email: str | None
    mobile: str | None  # national digits, "06…"/"07…"
    landline: str | None  # the household's, national digits
    family_email: str | None
    loyalty_card: str | None
    account: str | None  # the web/app login, when they have one


@dataclass(frozen=True)
class Record:
    """One message a channel sends about one person."""

    record_id: str  # the message's messageId
    person_id: str
    household_id: str
    source: str  # a tracking source kind
    message: dict[str, Any]

    @property
    def sent_at(self) -> datetime:
        return datetime.fromisoformat(self.message["timestamp"])


@dataclass(frozen=True)
class MessySet:
    """The people, their records in time order, and the pairs a perfect matcher would link."""

    people: tuple[Person, ...]
    records: tuple[Record, ...]
    seed: int

    @property
    def messages(self) -> list[dict[str, Any]]:
        return [record.message for record in self.records]

    @cached_property
    def true_pairs(self) -> set[frozenset[str]]:
        """Pairs of records of one person."""
        return pairs_within(_group(self.records, lambda r: r.person_id))

    @cached_property
    def household_pairs(self) -> set[frozenset[str]]:
        """Pairs of records of two different people of one household."""
        return pairs_within(_group(self.records, lambda r: r.household_id)) - self.true_pairs


def _group(records: Iterable[Record], key: Any) -> list[list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for record in records:
        groups[key(record)].append(record.record_id)
    return list(groups.values())


def pairs_within(groups: Iterable[Iterable[str]]) -> set[frozenset[str]]:
    """Every pair of ids within each group."""
    return {
        frozenset(pair) for group in groups for pair in itertools.combinations(sorted(group), 2)
    }


# -- drawing people -------------------------------------------------------------------------


def _weighted(rng: random.Random, choices: tuple[tuple[Any, int], ...]) -> Any:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def fold(text: str) -> str:
    """Lower case without accents, as people type e-mail addresses."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _valid(national: str) -> bool:
    return phonenumbers.is_valid_number(phonenumbers.parse(national, "FR"))


def _mobile(rng: random.Random, taken: set[str]) -> str:
    while True:
        number = rng.choice("67") + "".join(rng.choice("0123456789") for _ in range(8))
        national = "0" + number
        if national not in taken and national != "0600000000" and _valid(national):
            taken.add(national)
            return national


def _landline(rng: random.Random, prefix: str, taken: set[str]) -> str:
    while True:
        head = "09" if rng.random() < 0.3 else prefix
        national = (
            head + str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(7))
        )
        if national not in taken and _valid(national):
            taken.add(national)
            return national


def _email_local(given: str, family: str, born: int, rng: random.Random) -> str:
    g, f = (fold(x).replace(" ", "").replace("'", "") for x in (given, family))
    style = rng.randrange(5)
    if style == 0:
        return f"{g}.{f}"
    if style == 1:
        return f"{g[0]}.{f}"
    if style == 2:
        return f"{f}.{g}{born % 100:02d}"
    if style == 3:
        return f"{g}{f}"
    return f"{g}_{f}"


def _email(given: str, family: str, born: int, rng: random.Random, taken: set[str]) -> str:
    local = _email_local(given, family, born, rng)
    domain = _weighted(rng, PROVIDERS)
    address = f"{local}@{domain}"
    while address in taken:
        address = f"{local}{rng.randint(1, 99)}@{domain}"
    taken.add(address)
    return address


def _street(faker: Faker, rng: random.Random) -> str:
    kind, _ = rng.choice(STREET_KINDS)
    draw = rng.random()
    if draw < 0.1:
        name = f"Saint-{faker.first_name_male()}"
    elif draw < 0.15:
        name = f"Sainte-{faker.first_name_female()}"
    else:
        name = faker.last_name() if draw < 0.6 else faker.name()
    return f"{rng.randint(1, 180)} {kind} {name}"


def _people(count: int, rng: random.Random, faker: Faker) -> list[Person]:
    people: list[Person] = []
    taken_phones: set[str] = set()
    taken_emails: set[str] = set()
    households = itertools.count(1)
    while len(people) < count:
        size = min(_weighted(rng, HOUSEHOLD_SIZES), count - len(people))
        household_id = f"H{next(households):05d}"
        postcode, city, prefix = rng.choice(PLACES)
        street = _street(faker, rng)
        family = faker.last_name()
        landline_share = 0.7 if size > 1 else 0.35
        landline = _landline(rng, prefix, taken_phones) if rng.random() < landline_share else None
        family_email = None
        if size > 1 and rng.random() < 0.25:
            family_email = f"famille.{fold(family).replace(' ', '')}@{_weighted(rng, PROVIDERS)}"
            while family_email in taken_emails:
                family_email = family_email.replace("@", f"{rng.randint(1, 9)}@")
            taken_emails.add(family_email)
        card = f"FID{rng.randint(10**9, 10**10 - 1)}"
        father_son = size > 1 and rng.random() < 0.06
        members: list[Person] = []
        for index in range(size):
            male = rng.random() < 0.5
            if index == 0:
                born = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 35))
            elif index == 1 and rng.random() < 0.6:
                born = members[0].birth_date + timedelta(days=rng.randint(-2500, 2500))
            else:
                # A child of age (18 or more) by the end of 2008: no minors in the base.
                latest = (date(2008, 12, 31) - members[0].birth_date).days
                born = members[0].birth_date + timedelta(days=rng.randint(20 * 365, latest))
            given = faker.first_name_male() if male else faker.first_name_female()
            if father_son and index == size - 1:
                given = members[0].given_name
            own_family = family if rng.random() < 0.85 else faker.last_name()
            person_id = f"P{len(people) + index + 1:05d}"
            has_card = rng.random() < 0.5
            members.append(
                Person(
                    person_id=person_id,
                    household_id=household_id,
                    given_name=given,
                    family_name=own_family,
                    birth_date=born,
                    street=street,
                    postcode=postcode,
                    city=city,
                    email=_email(given, own_family, born.year, rng, taken_emails)
                    if rng.random() < 0.85
                    else None,
                    mobile=_mobile(rng, taken_phones) if rng.random() < 0.8 else None,
                    landline=landline,
                    family_email=family_email,
                    loyalty_card=f"{card}{index}" if has_card else None,
                    account=f"client-{person_id[1:]}" if rng.random() < 0.6 else None,
                )
            )
        people += members
    _namesakes(people, rng, taken_emails)
    return people


def _namesakes(people: list[Person], rng: random.Random, taken: set[str]) -> None:
    """Give 3 % of people the full name of someone of another household (and an e-mail
    made of that name)."""
    for index in rng.sample(range(len(people)), k=len(people) * 3 // 100):
        model, person = rng.choice(people), people[index]
        if model.household_id == person.household_id:
            continue
        given, family = model.given_name, model.family_name
        email = person.email
        if email is not None:
            email = _email(given, family, person.birth_date.year, rng, taken)
        fields = {**person.__dict__, "given_name": given, "family_name": family, "email": email}
        people[index] = Person(**fields)


# -- drawing records ------------------------------------------------------------------------


def typed_phone(national: str, rng: random.Random) -> str:
    """A national number written in one of the ways people write French numbers."""
    parts = [national[i : i + 2] for i in range(0, 10, 2)]
    a, b, c, d, e = parts
    return rng.choice(PHONE_FORMS).format(a=a, a1=a[1], b=b, c=c, d=d, e=e)


def typo(text: str, rng: random.Random) -> str:
    """One slip: a keyboard neighbour, a dropped accent, or two letters swapped."""
    if not text:
        return text
    kind = rng.randrange(3)
    if kind == 1 and fold(text) != text.lower():
        return "".join(
            c if not unicodedata.combining(c) else "" for c in unicodedata.normalize("NFKD", text)
        )
    position = rng.randrange(len(text))
    if kind == 2 and len(text) > 3:
        position = min(position, len(text) - 2)
        return text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    letter = text[position].lower()
    if letter in KEYBOARD:
        return text[:position] + rng.choice(KEYBOARD[letter]) + text[position + 1 :]
    return text


def _abbreviated(street: str) -> str:
    """The street as a clerk shortens it: "Bd", "Av.", "St-", "Ste-"."""
    for long, short in STREET_KINDS:
        if f" {long} " in street:
            street = street.replace(f" {long} ", f" {short} ", 1)
            break
    return street.replace("Sainte-", "Ste-").replace("Saint-", "St-")


def _accented_email(person: Person) -> str | None:
    if person.email is None:
        return None
    local, domain = person.email.split("@")
    given = person.given_name.lower()
    accented = given.replace(" ", "")
    if fold(given) in local and accented != fold(given):
        return local.replace(fold(given), accented, 1) + "@" + domain
    return "é" + local + "@" + domain


def _invalid_phone(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "0000000000"
    digits = [f"{rng.randint(10, 99)}" for _ in range(3)]
    return f"07 {rng.choice('012')}{rng.randint(0, 9)} " + " ".join(digits)


def _record(
    person: Person, source: str, lent_card: str | None, rng: random.Random
) -> dict[str, Any]:
    """The traits and context a channel sends about ``person`` (``lent_card``: the card of
    another member of the household, lent at the till)."""
    traits: dict[str, Any] = {}
    context: dict[str, Any] = {}
    given, family = person.given_name, person.family_name
    if rng.random() < (0.25 if source == "service_desk" else 0.12):
        if rng.random() < 0.5:
            given = typo(given, rng)
        else:
            family = typo(family, rng)
    if source == "store" and rng.random() < 0.5:
        given, family = fold(given).upper(), fold(family).upper()
    email = person.email
    if (person.family_email and rng.random() < 0.4) or (email is None and person.family_email):
        email = person.family_email
    mobile = person.mobile
    phone_is_landline = False
    address = rng.random() < {"store": 0.7, "service_desk": 0.7, "web": 0.8}.get(source, 0.0)
    if source == "store":
        traits.update(first_name=given, last_name=family)
        email = email if rng.random() < 0.5 else None
        if person.loyalty_card and rng.random() < 0.8:
            traits["loyalty_card"] = person.loyalty_card
        elif lent_card and rng.random() < 0.5:
            traits["loyalty_card"] = lent_card
    elif source == "web":
        traits.update(first_name=given, last_name=family)
        mobile = mobile if rng.random() < 0.6 else None
    elif source == "app":
        traits.update(first_name=given, last_name=family)
        context["device"] = {"id": f"device-{person.person_id}", "type": "ios"}
    elif source == "email":
        traits["first_name"] = given
        if rng.random() < 0.4:
            traits["last_name"] = family
        mobile = None
    else:  # service desk
        traits.update(first_name=given, last_name=family)
        if person.landline and rng.random() < 0.5:
            mobile, phone_is_landline = person.landline, True
    if source in ("store", "service_desk") and mobile is None and person.landline:
        mobile, phone_is_landline = person.landline, True
    if rng.random() < 0.1 and source != "email":
        email = None
    if not phone_is_landline and rng.random() < 0.15:
        mobile = person.landline if source in ("store", "service_desk") else None
    only_home = source != "email" and person.landline is not None and rng.random() < 0.08
    if only_home:
        email, mobile, address = None, person.landline, True
        traits.pop("loyalty_card", None)
    if email:
        traits["email"] = email
    if mobile:
        traits["phone"] = typed_phone(mobile, rng)
    if source in ("store", "web", "service_desk") and rng.random() < 0.55:
        traits["birthday"] = person.birth_date.isoformat()
    if address:
        street = _abbreviated(person.street) if rng.random() < 0.3 else person.street
        city = _abbreviated(person.city) if street != person.street else person.city
        line = {"street": street, "postal_code": person.postcode, "city": city}
        if rng.random() < 0.05:
            line["street"] = f"Appt {rng.randint(1, 40)}, {street}"
        traits["address"] = line
    if source == "store" and not only_home:
        trap = rng.random()
        if trap < 0.01:
            traits["phone"] = PLACEHOLDER_MOBILE
        elif trap < 0.02:
            traits["email"] = GENERIC_EMAIL
    bad = rng.random()
    if bad < 0.01 and "phone" in traits:
        traits["phone"] = _invalid_phone(rng)
    elif bad < 0.02 and person.email and "email" in traits:
        traits["email"] = _accented_email(person)
    return {"traits": traits, "context": context}


def generate(people: int = 3000, seed: int = 0, *, until: datetime = UNTIL) -> MessySet:
    """The messy set of ``people`` people for ``seed`` (same seed, same messages), happening
    over the 300 days before ``until``."""
    start = until - SPAN
    rng = random.Random(f"messy-french:{seed}")
    faker = Faker("fr_FR")
    faker.seed_instance(seed)
    drawn = _people(people, rng, faker)
    households: dict[str, list[Person]] = defaultdict(list)
    for person in drawn:
        households[person.household_id].append(person)
    lent: dict[str, str] = {}
    for household_id, members in households.items():
        cards = [p.loyalty_card for p in members if p.loyalty_card]
        if len(members) > 1 and cards and rng.random() < 0.2:
            lent[household_id] = cards[0]
    planned: list[tuple[datetime, Person, str, dict[str, Any]]] = []
    for person in drawn:
        for _ in range(_weighted(rng, RECORD_COUNTS)):
            source = rng.choices(SOURCES, weights=SOURCE_WEIGHTS)[0]
            if source == "email" and not (person.email or person.family_email):
                # An e-mail platform keeps its contacts by their address: someone without
                # one is on the web shop's list instead.
                source = "web"
            when = start + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
            card = lent.get(person.household_id)
            body = _record(person, source, card if card != person.loyalty_card else None, rng)
            planned.append((when, person, source, body))
    planned.sort(key=lambda item: (item[0], item[1].person_id))
    records: list[Record] = []
    for index, (when, person, source, body) in enumerate(planned):
        record_id = f"messy-{seed}-{index:06d}"
        message: dict[str, Any] = {
            "type": "identify",
            "messageId": record_id,
            "anonymousId": f"anon-{seed}-{index:06d}",
            "timestamp": when.isoformat(),
            "sentAt": (when + timedelta(seconds=rng.randint(0, 30))).isoformat(),
            "traits": body["traits"],
            "context": body["context"],
        }
        if source in ("web", "app") and person.account:
            message["userId"] = person.account
        if source == "store" and rng.random() < 0.03:
            message["anonymousId"] = TABLET_ID
            message["context"] = {"device": {"id": TABLET_ID, "type": "android"}}
        records.append(Record(record_id, person.person_id, person.household_id, source, message))
    return MessySet(people=tuple(drawn), records=tuple(records), seed=seed)
