"""registry: the national volunteer register (people, places, operators)."""
