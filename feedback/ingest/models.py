"""What bulk ingest keeps besides the signals: the stored answers to Idempotency-Key requests."""

from __future__ import annotations

from django.db import models

from tenants.keys import TenantForeignKey
from tenants.models import ApiKey, TenantModel


class IdempotencyRecord(TenantModel):
    """The stored answer to a request sent with an ``Idempotency-Key`` header.

    A replay with the same key and the same request returns ``response_body`` unchanged; the
    same key with another request is refused. Written in the transaction that did the work.
    """

    audit_noun = "stored API answer"

    key = models.CharField(max_length=255)
    api_key = TenantForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="+")
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of method, path and canonical body.")
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("tenant", "key", name="idempotency_record_unique_key")]
        indexes = [models.Index(fields=["tenant", "created_at"], name="idempotency_record_created_idx")]

    def __str__(self) -> str:
        return f"idempotency key {self.key}"
