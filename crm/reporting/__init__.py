"""Report queries and Excel writers."""
