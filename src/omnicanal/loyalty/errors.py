"""Errors of the loyalty module, each with a stable machine code."""

from omnicanal.platform.errors import Conflict, Forbidden, InvalidInput, NotFound

__all__ = [
    "AlreadyMember",
    "CardInUse",
    "InsufficientPoints",
    "InvalidCursor",
    "LoyaltyForbidden",
    "MemberErased",
    "MemberNotDesignated",
    "NobodyToEnrol",
    "ProgrammeExists",
    "ProgrammeInactive",
    "RedemptionNotHeld",
    "UnknownMember",
    "UnknownProgramme",
    "UnknownRedemption",
    "UnknownTier",
]


class UnknownProgramme(NotFound):
    code = "unknown_programme"
    title = "Unknown loyalty programme"


class UnknownMember(NotFound):
    code = "unknown_member"
    title = "Unknown loyalty member"


class UnknownRedemption(NotFound):
    code = "unknown_redemption"
    title = "Unknown redemption"


class ProgrammeExists(Conflict):
    code = "programme_exists"
    title = "A loyalty programme already has this code"


class ProgrammeInactive(Conflict):
    code = "programme_inactive"
    title = "The loyalty programme is closed"


class AlreadyMember(Conflict):
    code = "already_member"
    title = "This customer is already a member of the programme"


class CardInUse(Conflict):
    code = "card_in_use"
    title = "This loyalty card belongs to another member"


class NobodyToEnrol(InvalidInput):
    code = "nobody_to_enrol"
    title = "Enrolment names nobody: give a profile, a customer reference or a card"


class MemberErased(Conflict):
    code = "member_erased"
    title = "The member was erased"


class InsufficientPoints(Conflict):
    code = "insufficient_points"
    title = "The member's available points do not cover this"


class RedemptionNotHeld(Conflict):
    code = "redemption_not_held"
    title = "The redemption is no longer held"


class LoyaltyForbidden(Forbidden):
    code = "loyalty_forbidden"
    title = "This key cannot act on loyalty"


class MemberNotDesignated(InvalidInput):
    code = "member_not_designated"
    title = "Look a member up by card (with its programme) or by profile"


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    title = "This cursor is not one we gave"


class UnknownTier(InvalidInput):
    code = "unknown_tier"
    title = "The programme has no such tier"
