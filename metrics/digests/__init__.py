"""Department digests: schedule, content, sending through the outbox, subscriptions."""
