"""The tracker area."""
