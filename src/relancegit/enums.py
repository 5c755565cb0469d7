"""Enumerations shared by the model and the command line (light: no pydantic)."""

from __future__ import annotations

from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    LETTER = "letter"
    REGISTERED_LETTER = "registered-letter"
    HANDOVER = "handover"


class Status(StrEnum):
    WRITTEN_OFF = "written-off"
    PAID = "paid"
    ESCALATED = "escalated"
    DISPUTED = "disputed"
    PAUSED = "paused"
    PLAN = "plan"
    PROMISED = "promised"
    OVERDUE = "overdue"
    UPCOMING = "upcoming"


__all__ = ["Channel", "Status"]
