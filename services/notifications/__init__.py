"""notifications: messages to volunteers and operators, with a delivery ledger."""
