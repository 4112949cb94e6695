"""Errors of the customers module."""

from omnicanal.platform.errors import Conflict, InvalidInput, NotFound


class UnknownProfile(NotFound):
    code = "unknown_profile"
    title = "Unknown profile"


class UnknownIdentifier(NotFound):
    code = "unknown_identifier"
    title = "No profile carries this identifier"


class IdentifierShared(Conflict):
    code = "identifier_shared"
    title = "This identifier is shared by several people"


class InvalidIdentifierValue(InvalidInput):
    code = "invalid_identifier"
    title = "Invalid identifier"


class UnknownMerge(NotFound):
    code = "unknown_merge"
    title = "Unknown merge"


class NothingToUnmerge(Conflict):
    code = "nothing_to_unmerge"
    title = "The profile is not made of several profiles"


class UnknownReview(NotFound):
    code = "unknown_review"
    title = "Unknown identity review"


class ReviewAlreadyDecided(Conflict):
    code = "review_already_decided"
    title = "The review has been decided already"
