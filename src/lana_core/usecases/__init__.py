"""Use cases: one class per command or query, each taking an explicit actor."""
