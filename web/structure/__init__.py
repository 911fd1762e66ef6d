"""Pages of the methodological structure (issue 4): the structure tree, association and council
pages, meetings with agenda, attendance and decisions, and the calendar of meetings and events."""
