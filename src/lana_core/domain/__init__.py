"""Entities, values and rules of the CRM domain: no I/O, no framework."""
