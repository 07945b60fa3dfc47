"""User accounts: creation and administration (accounts), authentication with lock-out and changing
one's own password (authentication), the per-address login throttle, sessions that end on every device
(sessions), and the read side of the user admin pages (queries).
"""
