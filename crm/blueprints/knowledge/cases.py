"""Routes of the knowledge blueprint (cases)."""
