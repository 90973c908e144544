"""Model: turn package features into a probability of malice (rules now, trained ensembles later)."""
