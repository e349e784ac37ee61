"""training's tables and queries (its own metadata)."""
