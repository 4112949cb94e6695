"""Errors of the tracking module."""

from omnicanal.platform.errors import InvalidInput, Unauthenticated


class UnknownWriteKey(Unauthenticated):
    code = "unknown_write_key"
    title = "Unknown or revoked write key"
    challenge = 'Basic realm="omnicanal tracking"'


class InvalidMessage(InvalidInput):
    code = "invalid_message"
    title = "The message does not follow the tracking spec"


class InvalidSource(InvalidInput):
    code = "invalid_source"
    title = "Invalid tracking source"
