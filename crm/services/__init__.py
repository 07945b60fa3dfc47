"""Domain services: the only code that changes data or applies rules.

Services flush, never commit: the view, job or CLI command commits once at its boundary.
They take `actor` and `today` as arguments and never read the request or current_user.
"""


class ServiceError(ValueError):
    """A rule refused the operation; the message is Chinese and shown to the user as is."""


class RecordedRefusal(ServiceError):
    """A refusal that leaves a record to keep (a wrong password counts toward the lock-out): the boundary
    commits what the service flushed before raising it, instead of rolling back."""
