"""The system area."""
