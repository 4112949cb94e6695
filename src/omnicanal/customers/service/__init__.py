"""Use cases of the customers module (one function = one business action, caller's
transaction), re-exported here: ``from omnicanal.customers import service``."""

from omnicanal.customers.service.consent import OffersConsent, OffersConsentState, offers_consent
from omnicanal.customers.service.explain import explain
from omnicanal.customers.service.ingest import (
    Resolved,
    Sighting,
    hold_sightings,
    record_sightings,
)
from omnicanal.customers.service.listing import list_profiles, review_page
from omnicanal.customers.service.matching import person_fields, person_records
from omnicanal.customers.service.merging import (
    decide_review,
    keep_apart,
    list_merges,
    list_reviews,
    merge_profiles,
    unmerge,
)
from omnicanal.customers.service.metrics import metrics
from omnicanal.customers.service.profiles import (
    REFERENCE_KINDS,
    computed,
    current_traits,
    customer_references,
    display_name,
    find_profile_id,
    get_profile,
    names_of_references,
    own_identifiers,
    own_identifiers_of,
    profile_root,
    recognised_profile_ids,
    reference_forms,
    referenced_profile_id,
    referenced_profile_ids,
    timeline,
)
from omnicanal.customers.service.returns_seen import ReturnsSeen, returns_seen, satisfactions
from omnicanal.customers.service.reviews import (
    ProfileCard,
    ReviewPair,
    profile_cards,
    review_pairs,
)
from omnicanal.customers.service.search import NameMatch, find_profiles_by_name

__all__ = [
    "REFERENCE_KINDS",
    "NameMatch",
    "OffersConsent",
    "OffersConsentState",
    "ProfileCard",
    "Resolved",
    "ReturnsSeen",
    "ReviewPair",
    "Sighting",
    "computed",
    "current_traits",
    "customer_references",
    "decide_review",
    "display_name",
    "explain",
    "find_profile_id",
    "find_profiles_by_name",
    "get_profile",
    "hold_sightings",
    "keep_apart",
    "list_merges",
    "list_profiles",
    "list_reviews",
    "merge_profiles",
    "metrics",
    "names_of_references",
    "offers_consent",
    "own_identifiers",
    "own_identifiers_of",
    "person_fields",
    "person_records",
    "profile_cards",
    "profile_root",
    "recognised_profile_ids",
    "record_sightings",
    "reference_forms",
    "referenced_profile_id",
    "referenced_profile_ids",
    "returns_seen",
    "review_page",
    "review_pairs",
    "satisfactions",
    "timeline",
    "unmerge",
]
