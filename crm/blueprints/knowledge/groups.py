"""Routes of the knowledge blueprint (groups)."""
