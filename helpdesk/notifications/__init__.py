"""Agents' notifications: the bell, the list, and which ones are mailed."""
