"""notifications' tables."""
