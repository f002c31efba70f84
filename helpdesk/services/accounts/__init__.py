"""People: logins for customers and staff, the system manager's customer profiles, and contacts."""
