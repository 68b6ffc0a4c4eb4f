"""Tests of the SQL adapter against real SQLite and PostgreSQL databases."""
