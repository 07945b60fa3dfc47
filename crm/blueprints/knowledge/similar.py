"""Routes of the knowledge blueprint (similar)."""
