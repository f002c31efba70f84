"""The help centre: public articles for everyone, editing for agents and admins (issue 7)."""
