"""A directory record as imported or generated, before it becomes a Unit row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

# Unit ids are derived from codes so every machine that loads the same directory gets the same ids.
_NAMESPACE = uuid.UUID("6f1c2b9e-8a55-4c1e-9d0a-2f6b1d5e7a31")

KINDS = ("city", "department", "district", "school")
SCHOOL_TYPES = ("kindergarten", "primary", "junior", "senior", "vocational", "special", "university")


@dataclass(frozen=True)
class UnitRecord:
    """One org unit: code, name, kind, parent's code, (for schools) school type; enrolment and contacts.

    None in an optional field means "not given": an import without that column keeps what the unit has.
    """

    code: str
    name: str
    kind: str
    parent_code: str | None = None
    school_type: str | None = None
    enrolment: int | None = None
    email: str | None = None
    leader_name: str | None = None
    leader_email: str | None = None
    active: bool = True


def unit_id_for(code: str) -> str:
    """The stable id of the unit with this code."""
    return str(uuid.uuid5(_NAMESPACE, code))
