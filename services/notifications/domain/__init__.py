"""notifications' rules: pure functions and values, no database, broker or web framework."""
