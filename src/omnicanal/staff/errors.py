"""What the staff accounts refuse, each with its stable code."""

from __future__ import annotations

from omnicanal.platform.errors import Conflict, Forbidden, NotFound

__all__ = ["NoStore", "StaffExists", "StoreForbidden", "UnknownStaff"]


class StaffExists(Conflict):
    code = "staff_exists"


class UnknownStaff(NotFound):
    code = "unknown_staff"
    title = "No staff account has this email"


class StoreForbidden(Forbidden):
    code = "store_forbidden"


class NoStore(Forbidden):
    code = "no_store"
