"""Signed outbound webhooks: endpoints an admin registers, and the deliveries sent to them."""
