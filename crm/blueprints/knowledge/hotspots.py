"""Routes of the knowledge blueprint (hotspots)."""
