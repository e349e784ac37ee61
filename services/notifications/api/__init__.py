"""HTTP routes of notifications (thin: parse, authorise, call a use-case)."""
