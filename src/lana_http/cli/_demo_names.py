"""The words the sample tenant is made of: names, companies, work and product events."""

from __future__ import annotations

FIRST_NAMES = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Margaret",
    "Ken",
    "Frances",
    "Tim",
    "Radia",
    "John",
)
LAST_NAMES = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Allen",
    "Berners",
)
COMPANIES = (
    "Analytical",
    "Difference",
    "Harbor",
    "Northwind",
    "Bluebird",
    "Quantum",
    "Granite",
    "Juniper",
    "Orbit",
)
KINDS = ("Engines", "Logistics", "Labs", "Foods", "Systems", "Health", "Studios", "Capital", "Works")
WORK = ("Onboarding", "Data migration", "Quarterly review", "Integration", "Training", "Renewal", "Audit")
STEPS = ("Kick-off call", "Collect requirements", "Draft plan", "Review with client", "Deliver", "Sign-off")
PRODUCT_EVENTS = (
    "page_view",
    "page_view",
    "page_view",
    "login",
    "feature_used",
    "report_exported",
    "invite_sent",
)
TAGS = ("enterprise", "smb", "partner", "trial", "priority", "emea", "apac", "americas")
