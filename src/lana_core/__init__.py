"""Lana."""
