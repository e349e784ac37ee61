"""training's rules as pure functions and classes: no database, broker or web framework."""
