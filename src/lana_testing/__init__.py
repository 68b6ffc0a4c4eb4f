"""Lana's test kit (``pip install "lana[testing]"``): the contract suite every adapter of the
core's ports must pass, the hypothesis strategies it draws from, and helpers that build a
kernel, a tenant and its users.

Run the suite against an adapter of your own: docs/architecture.md, "Adding an adapter".
Importing this package loads no test module.
"""
