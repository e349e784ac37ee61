"""notifications use-cases, split by concern. Never commit: the caller owns the transaction."""
