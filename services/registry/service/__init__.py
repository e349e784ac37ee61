"""registry use-cases, split by use-case: take a session, apply domain rules, stage events.

They never commit: the caller (route or handler) owns the transaction.
"""
