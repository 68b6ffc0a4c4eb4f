"""The in-memory repositories, one module per aggregate."""
