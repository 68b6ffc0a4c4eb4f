"""The contract suite: one set of behaviours every persistence adapter must show (see adapter_sets)."""
