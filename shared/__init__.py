"""Code the three services share: contracts, settings, logging, broker, DB, outbox, inbox.

No tables of any service and no business rules live here.
"""
