"""The platform's services. A service never imports another (import-linter enforces it)."""
