"""The organisation's set-up pages, as the web app lists its controllers: staff, subjects,
structural units and the academic calendar."""

from __future__ import annotations

from web.setup.calendar import TermPages
from web.setup.staff import StaffPages
from web.setup.subjects import SubjectPages
from web.setup.units import UnitPages

SETUP_PAGES = (StaffPages, SubjectPages, UnitPages, TermPages)
