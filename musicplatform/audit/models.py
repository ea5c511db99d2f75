from django.conf import settings
from django.db import models

from musicplatform.db import created_at, uuid_primary_key


class StatusHistory(models.Model):
    """One recorded move of a status field: who moved which entity from what to what."""

    id = uuid_primary_key("id")
    entity_type = models.CharField(max_length=50)
    entity_id = models.UUIDField()
    old_status = models.CharField(max_length=50, null=True, blank=True)
    new_status = models.CharField(max_length=50)
    changed_at = created_at()
    # Kept when the user is deleted: the audit trail outlives accounts.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DB_SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_column="changed_by",
        db_index=False,
    )

    class Meta:
        db_table = "status_history"
        verbose_name_plural = "status history"
        indexes = [
            models.Index(fields=["entity_type", "entity_id"], name="idx_status_history_entity"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_type} {self.entity_id}: {self.old_status} → {self.new_status}"
