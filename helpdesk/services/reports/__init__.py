"""Dashboards and reports."""
