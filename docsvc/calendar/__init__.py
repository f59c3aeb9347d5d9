"""Business days: the institution's holiday calendar and deadline arithmetic."""
