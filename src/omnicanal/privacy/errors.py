"""Errors of the privacy module."""

from omnicanal.platform.errors import InvalidInput


class UnknownExportFormat(InvalidInput):
    code = "unknown_export_format"
    title = "Unknown export format"


class PersonNotDesignated(InvalidInput):
    code = "person_not_designated"
    title = "Designate the person by exactly one identifier"
