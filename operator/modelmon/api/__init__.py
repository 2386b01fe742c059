"""The pydantic models of every user-facing spec: the one source of truth for its schema."""
