"""Dashboards and reports (issue 8): the support dashboard, period reports and CSV exports."""
