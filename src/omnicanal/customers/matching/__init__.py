"""Probabilistic matching of customer records that share no identifier (Fellegi-Sunter).

A till record "DUPONT J., 06 12 34 56 78" and a web account "jean.dupont@…" share no login,
card or e-mail; the identity graph links them only if this matcher says they are one person.

How a pair is scored:

1. **Blocking.** Only records sharing a key are compared: postcode, postcode + street,
   phonetic family name, both names' phonetic keys (swapped names), birth year + initial,
   birth date, phone, e-mail (see ``blocking``). Keys shared by too many records are skipped.
2. **Comparisons.** Given name, family name (accents, case, typos by Jaro-Winkler and
   Damerau-Levenshtein, swapped first/last names), birth date (exact, day/month swapped, a
   digit mistyped, year off by one, one part off), address (street, number, postcode and city
   as one joint level), phone (same mobile, same landline), e-mail (exact, or the same local
   part). Each gives a level; a missing value is neutral (see ``personal`` and ``address``).
3. **Weights.** Each level weighs log2(m/u), refined by how common the shared name, postcode
   or house number is; a pair's weight is the sum. Its probability is the posterior of "one
   person" against "two people of one household" and "two other people"; u comes from the
   pairs (all candidates, a random sample of the rest), m, h and the priors from EM over the
   candidate pairs (see ``model``).

The decision rules, in this order:

* **household**: the pair shares an address or a landline, no personal identifier agrees
  (same mobile, same e-mail address), and either its probability is below
  ``Thresholds.review``, or its given names differ, or both give a mobile and not the same
  one, while its birth dates do not agree. A household is linked as such and never merged,
  nor queued for review.
* **merge**: probability at or above ``Thresholds.merge`` (default 0.9), and neither the
  given names (a masculine and a feminine form are two names) nor the birth dates clearly
  disagree, nor two different mobiles without an agreeing birth date (the same e-mail local
  part at another domain never outvotes them).
* **review**: probability at or above ``Thresholds.review`` (default 0.8), including the pairs
  above ``merge`` that a clear disagreement keeps from merging (twins, a namesake parent): a
  person decides.
* **distinct**: everything else.

Merges are then planned together (``clusters``), so that no chain of them joins two records
that tell two people apart: those go to review (ADR 0007).

Every score carries one reason per comparison, e.g.
"family name Dupont ~ DUPONT: exact after accent and case folding, +8.1".
"""

from omnicanal.customers.matching.comparisons import Comparison, Level
from omnicanal.customers.matching.matcher import DEFAULT_COMPARISONS, FitReport, Matcher
from omnicanal.customers.matching.model import FellegiSunterModel
from omnicanal.customers.matching.records import (
    Decision,
    MatchScore,
    PersonRecord,
    Thresholds,
)

__all__ = [
    "DEFAULT_COMPARISONS",
    "Comparison",
    "Decision",
    "FellegiSunterModel",
    "FitReport",
    "Level",
    "MatchScore",
    "Matcher",
    "PersonRecord",
    "Thresholds",
]
