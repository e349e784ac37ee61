"""registry's HTTP routes (thin) and their request and response schemas."""
