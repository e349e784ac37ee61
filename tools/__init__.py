"""Developer and operator tools: the local stack, the CLI."""
