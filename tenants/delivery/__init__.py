"""Delivery machinery shared by every app: the e-mail outbox (its rows, enqueueing, sending)."""
