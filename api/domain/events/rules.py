"""The forms of collective methodological work (cl. 15)."""

from __future__ import annotations

import enum


class EventKind(enum.StrEnum):
    SEMINAR = "seminar"
    LECTURE_SERIES = "lecture_series"
    WORKSHOP = "workshop"
    CONFERENCE = "conference"
    ADVANCED_EXPERIENCE_SCHOOL = "advanced_experience_school"
    INSTRUCTIVE_MEETING = "instructive_meeting"
