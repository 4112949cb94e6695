"""Builders for matching tests: French customers seen by several channels, and households.

``make_population`` draws people, then the records channels keep of them: a web account
(full names, e-mail, mobile, address), a till record (upper case, accents dropped, initial,
phone typed), sometimes an app account with a typo, swapped names or a swapped date. A fifth
of the people live in pairs (a household: same address and landline, same family name,
different given names and birth dates).
"""

from __future__ import annotations

import random
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from itertools import combinations

from omnicanal.customers.matching import Matcher, PersonRecord


def _listed(text: str) -> tuple[str, ...]:
    """The comma-separated items of a text."""
    return tuple(item.strip() for item in text.split(","))


GIVEN_NAMES = _listed(
    "Jean, Marie, Pierre, Hélène, Michel, Françoise, Philippe, Isabelle, Nicolas, Nathalie, "
    "Stéphane, Sylvie, Christophe, Céline, Frédéric, Sandrine, Julien, Aurélie, Sébastien, "
    "Émilie, Jérôme, Valérie, Thierry, Véronique, Mathieu, Camille, Antoine, Léa, Benoît, "
    "Chloé, Guillaume, Manon, Laurent, Agnès, Rémi, Noémie, Hugo, Inès, Théo, Maëlle"
)
FAMILY_NAMES = _listed(
    "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, Simon, "
    "Laurent, Lefèvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier, Morel, Girard, "
    "André, Lefebvre, Mercier, Dupont, Lambert, Bonnet, François, Martinez, Legrand, Garnier, "
    "Faure, Rousseau, Blanc, Guérin, Muller, Henry, Roussel, Nicolas, Perrin, Morin, Mathieu, "
    "Clément, Gauthier, Dumont, Lopez, Fontaine, Chevalier, Robin, Masson, Sanchez, Gérard, "
    "Nguyen, Boyer, Denis, Lemaire, Duval, Joly, Gautier, Roger, Roche, Roy, Noël, Meyer, "
    "Lucas, Meunier, Jean, Pérez, Marchand, Dufour, Blanchard, Barbier, Brun, Dumas, Brunet, "
    "Schmitt, Leroux, Colin, Fernandez, Pierre, Renard, Arnaud, Rolland, Caron, Aubert, "
    "Giraud, Leclerc, Vidal, Bourgeois, Renaud, Lemoine, Picard, Gaillard, Philippe, "
    "Leclercq, Lacroix, Fabre, Dupuis, Olivier, Rodriguez, Da Silva, Hubert, Louis, Charles, "
    "Guillot, Rivière, Le Gall, Guillaume, Adam, Rey, Moulin, Gonzalez, Berger, Lecomte, "
    "Ménard, Fleury, Deschamps, Carpentier, Julien, Benoît, Paris, Maillard, Marchal, Aubry, "
    "Vasseur, Le Roux, Renault, Jacquet, Collet, Prévost, Poirier, Charpentier, Royer, Huet, "
    "Baron, Dupuy, Pons, Paul, Laine, Carré, Breton, Rémy, Schneider, Perrot, Guyot, Barre, "
    "Marty, Cousin"
)
STREETS = _listed(
    "rue de la Paix, avenue Jean Jaurès, boulevard Voltaire, place de la République, "
    "rue Victor Hugo, chemin des Vignes, impasse des Lilas, allée des Tilleuls, "
    "rue du Général Leclerc, rue Pasteur, avenue de la Gare, rue des Écoles, rue Jules Ferry, "
    "boulevard Gambetta, rue de l'Église, rue du Moulin, avenue Foch, rue Émile Zola, "
    "quai des Brotteaux, rue Oberkampf, rue de la Roquette, cours Lafayette, "
    "rue Sainte-Catherine, avenue des Champs"
)
PLACES = tuple(
    (place[:5], place[6:])
    for place in _listed(
        "75011 Paris, 75012 Paris, 69006 Lyon, 69003 Lyon, 13001 Marseille, 59000 Lille, "
        "33000 Bordeaux, 31000 Toulouse, 44000 Nantes, 67000 Strasbourg, 06000 Nice, "
        "35000 Rennes, 42000 Saint-Étienne, 34000 Montpellier, 21000 Dijon, 38000 Grenoble, "
        "49000 Angers, 37000 Tours, 63000 Clermont-Ferrand, 87000 Limoges"
    )
)
DOMAINS = ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr", "sfr.fr")
# Regional endings, so a large base has about a thousand family names, not 150.
ENDINGS = ("", "", "", "eau", "ier", "et", "in", "ot", "aud", "on", "ard")


@dataclass
class Population:
    """Records, and which of them are one person."""

    records: list[PersonRecord] = field(default_factory=list)
    person_of: dict[str, int] = field(default_factory=dict)  # record_id -> person
    households: list[tuple[str, str]] = field(default_factory=list)  # partners' web accounts

    def true_pairs(self) -> set[frozenset[str]]:
        """Pairs of record ids that are the same person."""
        by_person: dict[int, list[str]] = {}
        for record_id, person in self.person_of.items():
            by_person.setdefault(person, []).append(record_id)
        return {
            frozenset(pair) for ids in by_person.values() for pair in combinations(sorted(ids), 2)
        }

    def index_pairs(self, pairs: set[frozenset[str]]) -> set[tuple[int, int]]:
        """The same pairs as (i, j) record indices, i < j."""
        position = {record.record_id: index for index, record in enumerate(self.records)}
        result = set()
        for pair in pairs:
            first, second = sorted(position[record_id] for record_id in pair)
            result.add((first, second))
        return result


def strip_accents(text: str) -> str:
    """What a till without accents keeps of a name: "Hélène" -> "Helene"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def typo(text: str, rng: random.Random) -> str:
    """One keying error inside a word: a letter dropped, doubled, or two swapped."""
    if len(text) < 4:
        return text
    position = rng.randrange(1, len(text) - 2)
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "drop":
        return text[:position] + text[position + 1 :]
    if kind == "double":
        return text[:position] + text[position] + text[position:]
    return text[:position] + text[position + 1] + text[position] + text[position + 2 :]


def _family_name(rng: random.Random) -> str:
    base = rng.choice(FAMILY_NAMES)
    ending = rng.choice(ENDINGS)
    if not ending or " " in base:
        return base
    return base.rstrip("eè") + ending


def _place(rng: random.Random) -> tuple[str, str]:
    """A big city (a third of customers) or one of a few hundred smaller communes."""
    if rng.random() < 1 / 3:
        return rng.choice(PLACES)
    department = rng.choice((1, 13, 21, 31, 33, 34, 35, 38, 42, 44, 49, 59, 63, 67, 69, 75))
    commune = rng.randrange(100, 1000, 10)
    return f"{department:02d}{commune:03d}", f"Commune {department:02d}-{commune}"


def _mobile(rng: random.Random) -> str:
    return f"+33{rng.choice('67')}{rng.randrange(10**7, 10**8)}"


def _landline(rng: random.Random) -> str:
    return f"+33{rng.choice('12345')}{rng.randrange(10**7, 10**8)}"


def _email(given: str, family: str, rng: random.Random) -> str:
    local = f"{strip_accents(given)}.{strip_accents(family)}".lower().replace(" ", "")
    if rng.random() < 0.3:
        local += str(rng.randrange(1, 99))
    return f"{local}@{rng.choice(DOMAINS)}"


def make_population(people: int = 300, *, seed: int = 7) -> Population:
    """``people`` persons, a fifth of them in two-person households, seen by 1 to 3 channels."""
    rng = random.Random(seed)
    population = Population()
    person = 0
    while person < people:
        postcode, city = _place(rng)
        home = (f"{rng.randrange(1, 150)} {rng.choice(STREETS)}", postcode, city, _landline(rng))
        members = 2 if rng.random() < 0.2 else 1
        family = _family_name(rng)
        given_names = rng.sample(GIVEN_NAMES, members)  # partners never share a given name
        web_accounts = [
            _person_records(person + member, given_names[member], family, home, population, rng)
            for member in range(members)
        ]
        if members == 2:
            population.households.append((web_accounts[0], web_accounts[1]))
        person += members
    return population


def _person_records(
    person: int,
    given: str,
    family: str,
    home: tuple[str, str, str, str],
    population: Population,
    rng: random.Random,
) -> str:
    """Add the channel records of one person; returns the id of the web account."""
    street, postcode, city, landline = home
    born = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 65 * 365))
    mobile = _mobile(rng)
    web = PersonRecord(
        record_id=f"web-{person}",
        given_name=given,
        family_name=family,
        birth_date=born if rng.random() < 0.8 else None,
        street=street,
        postcode=postcode,
        city=city,
        phone=mobile,
        email=_email(given, family, rng),
    )
    records = [web]
    if rng.random() < 0.6:  # the till: upper case, no accents, an initial, a phone
        use_landline = rng.random() < 0.3
        records.append(
            PersonRecord(
                record_id=f"till-{person}",
                given_name=strip_accents(given).upper() if rng.random() < 0.5 else given[0] + ".",
                family_name=strip_accents(family).upper(),
                postcode=postcode,
                phone=landline if use_landline else mobile,
                phone_is_landline=use_landline,
            )
        )
    if rng.random() < 0.3:  # an app account, with a typo, swapped names or a swapped date
        spelling = rng.choice(("typo", "swap", "date"))
        app_given, app_family, app_born = given, family, born
        if spelling == "typo":
            app_family = typo(family, rng)
        elif spelling == "swap":
            app_given, app_family = family, given
        elif born.day <= 12 and born.day != born.month:
            app_born = date(born.year, born.day, born.month)
        records.append(
            PersonRecord(
                record_id=f"app-{person}",
                given_name=app_given,
                family_name=app_family,
                birth_date=app_born,
                street=street.replace("avenue", "av.").replace("boulevard", "bd"),
                postcode=postcode,
                city=city.upper(),
                email=_email(given, family, rng) if rng.random() < 0.5 else None,
            )
        )
    for record in records:
        population.records.append(record)
        population.person_of[record.record_id] = person
    return web.record_id


@cache
def population() -> Population:
    """The shared population of the matching tests (300 people)."""
    return make_population(300)


@cache
def fitted_matcher() -> Matcher:
    """A matcher fitted on the shared population, once per test session."""
    return Matcher().fit(population().records)
