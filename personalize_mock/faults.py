"""Fault injection (being built)."""
