"""Analysis over a case: priorities (and stacks, series) computed from the store."""
