"""The home pages' figures: per-role counts (figures), the officer and leader aggregates (stats) and
their short-lived per-process cache (cache).
"""
