"""HTTP routes of training (thin) and their request/response schemas."""
