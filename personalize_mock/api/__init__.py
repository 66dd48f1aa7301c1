"""Thin HTTP handlers: moto parses the request, the backend does the work, moto serialises."""
