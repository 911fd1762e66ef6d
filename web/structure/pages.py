"""The structure pages, as the web app lists its controllers: the structure tree, associations,
meetings and the calendar."""

from __future__ import annotations

from web.structure.associations import AssociationPages
from web.structure.calendar import CalendarPages
from web.structure.meetings import MeetingPages
from web.structure.tree import StructurePages

STRUCTURE_PAGES = (StructurePages, AssociationPages, MeetingPages, CalendarPages)
