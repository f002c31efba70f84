"""The agents' tracker: folders, search, callers, routing, priority, macros, escalation, team."""
