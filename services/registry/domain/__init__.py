"""registry's rules as pure functions: no database, broker or web framework."""
