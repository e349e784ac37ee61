"""training use-cases, one module per use-case group. They never commit: the caller owns
the transaction (a route's `async with session.begin()` or the consumer wrapper)."""
