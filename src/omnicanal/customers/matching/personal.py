"""Comparisons of what belongs to one person: given and family names, birth date, phone, e-mail."""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler

from omnicanal.customers.identity.person import gendered_forms
from omnicanal.customers.matching.comparisons import (
    CLOSE_NAME,
    MISSING,
    SIMILAR_NAME,
    Comparison,
    Level,
    NamePart,
    PairContext,
    TermFrequency,
    one_keystroke_apart,
    select_levels,
    similarity,
    within_one_edit,
)
from omnicanal.customers.matching.records import PersonRecord


def _name_levels(context: PairContext, part: NamePart) -> np.ndarray:
    """exact / one typo apart / similar / different, after undoing swapped names."""
    p, left = context.prepared, context.left
    code_a = getattr(p, f"{part}_code")[left]
    code_b = context.aligned(part, "code")
    size = len(context)
    present = (code_a > 0) & (code_b > 0)
    exact = present & (code_a == code_b)
    close = np.zeros(size, dtype=bool)
    similar = np.zeros(size, dtype=bool)
    rest = np.flatnonzero(present & ~exact)
    compact_a = getattr(p, f"{part}_compact")[left[rest]]
    compact_b = context.aligned(part, "compact")[rest]
    jaro = similarity(JaroWinkler.normalized_similarity, compact_a, compact_b, 0.7)
    close[rest] = jaro >= CLOSE_NAME
    similar[rest] = jaro >= SIMILAR_NAME
    # A first-letter typo ("Nartin") keeps Jaro-Winkler below CLOSE_NAME: count edits too.
    length_a = getattr(p, f"{part}_length")[left[rest]]
    length_b = context.aligned(part, "length")[rest]
    gate = (jaro >= 0.75) & (jaro < CLOSE_NAME) & (np.minimum(length_a, length_b) >= 4)
    gate &= np.abs(length_a - length_b) <= 1
    close[rest[gate]] = within_one_edit(compact_a[gate], compact_b[gate])
    # Compound names: "Jean-Pierre" against "Jean" share a whole word.
    words_a = getattr(p, f"{part}_words")[left[rest]]
    words_b = context.aligned(part, "words")[rest]
    compound = (words_a > 1) | (words_b > 1)
    spaced_a = getattr(p, part)[left[rest[compound]]]
    spaced_b = context.aligned(part, "spaced")[rest[compound]]
    similar[rest[compound]] |= similarity(fuzz.token_set_ratio, spaced_a, spaced_b) >= 100
    if part == "given":
        # "J." against "Jean": an initial that fits.
        initial_a, initial_b = p.given_initial[left], context.aligned("given", "initial")
        one_letter = (p.given_length[left] == 1) | (context.aligned("given", "length") == 1)
        similar |= present & one_letter & (initial_a == initial_b)
        # "JP" against "Jean-Pierre": the initials of a compound first name.
        short = rest[(length_a <= 3) | (length_b <= 3)]
        compact_short_a = p.given_compact[left[short]]
        compact_short_b = context.aligned("given", "compact")[short]
        initials_a = p.given_initials[left[short]]
        initials_b = context.aligned("given", "initials")[short]
        words_short_a = p.given_words[left[short]]
        words_short_b = context.aligned("given", "words")[short]
        spelt = ((compact_short_a == initials_b) & (words_short_b > 1)) | (
            (compact_short_b == initials_a) & (words_short_a > 1)
        )
        similar[short[spelt]] = True
        # "Pascal" against "Pascale": two names, however close their spelling. Asked only of
        # the pairs found close or similar (a few percent of them): nothing else to undo.
        near = np.flatnonzero(close[rest] | similar[rest])
        gendered = near[
            np.fromiter(
                (
                    gendered_forms(x, y)
                    for x, y in zip(compact_a[near], compact_b[near], strict=True)
                ),
                dtype=bool,
                count=len(near),
            )
        ]
        close[rest[gendered]] = similar[rest[gendered]] = False
    levels = select_levels([(exact, 0), (close, 1), (similar, 2)], 3, size)
    levels[~present] = MISSING
    return levels


def given_name_levels(context: PairContext) -> np.ndarray:
    """Given names: exact, one typo apart, similar (or an initial, or a shared part), different."""
    return _name_levels(context, "given")


def family_name_levels(context: PairContext) -> np.ndarray:
    """Family names: exact, one typo apart, similar (or a shared part), different."""
    return _name_levels(context, "family")


def birth_date_levels(context: PairContext) -> np.ndarray:
    """Birth dates: exact, day and month swapped, year off by one, one digit mistyped, one of
    day, month, year differs, different."""
    p, left, right = context.prepared, context.left, context.right
    year_a, month_a, day_a = p.birth_year[left], p.birth_month[left], p.birth_day[left]
    year_b, month_b, day_b = p.birth_year[right], p.birth_month[right], p.birth_day[right]
    same_year, same_month, same_day = year_a == year_b, month_a == month_b, day_a == day_b
    exact = same_year & same_month & same_day
    transposed = same_year & (day_a == month_b) & (month_a == day_b)
    # A digit changed, or two neighbours swapped, leaves at least one of day, month and year
    # whole: only those pairs are compared digit by digit.
    maybe = np.flatnonzero((same_year | same_month | same_day) & ~exact)
    one_digit = np.zeros(len(left), dtype=bool)
    one_digit[maybe] = one_keystroke_apart(
        p.birth_digits[left[maybe]], p.birth_digits[right[maybe]]
    )
    year_off = same_month & same_day & (np.abs(year_a - year_b) == 1)
    one_part = (same_year & same_month) | (same_year & same_day) | (same_month & same_day)
    levels = select_levels(
        [(exact, 0), (transposed, 1), (year_off, 2), (one_digit, 3), (one_part, 4)],
        5,
        len(left),
    )
    levels[(year_a == 0) | (year_b == 0)] = MISSING
    return levels


def phone_levels(context: PairContext) -> np.ndarray:
    """Phones in E.164: the same mobile, the same landline, two different mobiles, two
    different landlines. A mobile against a landline is neutral: one person often has both."""
    p, left, right = context.prepared, context.left, context.right
    phone_a, phone_b = p.phone_code[left], p.phone_code[right]
    same = phone_a == phone_b
    landline_a, landline_b = p.landline[left], p.landline[right]
    mobiles = ~landline_a & ~landline_b
    levels = select_levels([(same & mobiles, 0), (same, 1), (mobiles, 2)], 3, len(left))
    levels[(phone_a == 0) | (phone_b == 0) | (~same & (landline_a != landline_b))] = MISSING
    return levels


def email_levels(context: PairContext) -> np.ndarray:
    """E-mail addresses: exact, the same local part at another domain, different. A shared
    local part built from the names ("jean.dupont@…", "dupont.jean85@…") is left neutral
    when either side's is: the names comparisons already count that agreement, and
    namesakes (a father and his son) share such local parts at different providers."""
    p, left, right = context.prepared, context.left, context.right
    email_a, email_b = p.email_code[left], p.email_code[right]
    local_a, local_b = p.email_local_code[left], p.email_local_code[right]
    exact, same_local = email_a == email_b, local_a == local_b
    levels = select_levels([(exact, 0), (same_local, 1)], 2, len(left))
    levels[(email_a == 0) | (email_b == 0)] = MISSING
    levels[~exact & same_local & (p.email_local_is_name[left] | p.email_local_is_name[right])] = (
        MISSING
    )
    return levels


def email_year_levels(context: PairContext) -> np.ndarray:
    """The year an e-mail ends with ("dupont.jean85@…") against the other record's birth year,
    when the e-mail's own record gives no birth date (where it does, the birth dates are
    compared): agrees, differs. Two namesakes' e-mails carry two birth years."""
    p, left, right = context.prepared, context.left, context.right
    born_a, born_b = p.birth_year[left], p.birth_year[right]
    digits_a, digits_b = p.email_year[left], p.email_year[right]
    read_a = (digits_a > 0) & (born_a == 0) & (born_b > 0)
    read_b = (digits_b > 0) & (born_b == 0) & (born_a > 0)
    agrees = (read_a & (digits_a - 1 == born_b % 100)) | (read_b & (digits_b - 1 == born_a % 100))
    levels = np.where(agrees, 0, 1).astype(np.int8)
    levels[~(read_a | read_b)] = MISSING
    return levels


def _show_email_year(record: PersonRecord) -> str:
    """What the e-mail-year comparison reads of a record: its birth year, else its e-mail."""
    if record.birth_date is not None:
        return str(record.birth_date.year)
    return record.email or ""


def _show_date(record: PersonRecord) -> str:
    return record.birth_date.isoformat() if record.birth_date else ""


GIVEN_NAME = Comparison(
    name="given name",
    levels=(
        Level("exact", 0.85, 0.02, 0.02),
        Level("one typo apart", 0.07, 0.004, 0.005),
        Level("similar (close spelling, an initial, or one part of a compound)", 0.04, 0.03, 0.06),
        Level("different", 0.04, 0.946, 0.925, role="given name differs"),
    ),
    compute=given_name_levels,
    show=lambda record: record.given_name,
    show_swapped=lambda record: record.family_name,
    term_frequencies=(
        TermFrequency("given name", lambda prepared: prepared.given_compact, frozenset({0})),
    ),
)
FAMILY_NAME = Comparison(
    name="family name",
    levels=(
        Level("exact", 0.88, 0.002, 0.70),
        Level("one typo apart", 0.07, 0.002, 0.01),
        Level("similar (close spelling, or one part of a compound)", 0.02, 0.02, 0.04),
        Level("different", 0.03, 0.976, 0.25),
    ),
    compute=family_name_levels,
    show=lambda record: record.family_name,
    show_swapped=lambda record: record.given_name,
    personal=False,
    term_frequencies=(
        TermFrequency("family name", lambda prepared: prepared.family_compact, frozenset({0})),
    ),
)
BIRTH_DATE = Comparison(
    name="birth date",
    levels=(
        Level("exact", 0.90, 0.00005, 0.002, role="birth date agrees"),
        Level("day and month swapped", 0.01, 0.00001, 0.0005, role="birth date agrees"),
        Level("year off by one", 0.01, 0.0001, 0.005, role="birth date agrees"),
        Level("one digit mistyped", 0.02, 0.0005, 0.01, role="birth date agrees"),
        Level("one of day, month, year differs", 0.02, 0.02, 0.06),
        Level("different", 0.04, 0.97985, 0.9225, role="birth date differs"),
    ),
    compute=birth_date_levels,
    show=_show_date,
)
PHONE = Comparison(
    name="phone",
    levels=(
        Level("same mobile", 0.60, 0.000001, 0.02, role="identifier"),
        Level("same landline", 0.60, 0.00001, 0.60, role="shared home"),
        # One person rarely gives two mobiles; housemates always do.
        Level("two different mobiles", 0.08, 0.70, 0.30, role="mobile differs"),
        Level("two different landlines", 0.32, 0.29999, 0.08),
    ),
    compute=phone_levels,
    show=lambda record: record.phone or "",
    personal=False,
)
EMAIL = Comparison(
    name="email",
    levels=(
        Level("exact", 0.70, 0.000001, 0.05, role="identifier"),
        Level("same local part at another domain", 0.05, 0.00001, 0.01),
        Level("different", 0.25, 0.99999, 0.94),
    ),
    compute=email_levels,
    show=lambda record: record.email or "",
)
EMAIL_YEAR = Comparison(
    name="birth year in the email",
    levels=(
        # Digits added to make an address unique agree with a birth year by chance (1 in 100).
        Level("agrees with the birth year", 0.60, 0.015, 0.03),
        Level("differs from the birth year", 0.40, 0.985, 0.97),
    ),
    compute=email_year_levels,
    show=_show_email_year,
)
