"""Shared view helpers: htmx rendering, access guards, errors, security headers."""
