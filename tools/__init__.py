"""Maintenance scripts run from a checkout (not part of the package)."""
