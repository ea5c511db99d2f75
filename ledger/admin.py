"""Staff's view of the books and payouts: read-only, money moves only through services.

Payout batches are where staff send file payouts: "Gather waiting payouts" makes a batch
per backend, the action "Download the file" hands out its SEPA XML or PayPal CSV (the
only place decrypted details appear), and "Mark paid" settles it once the bank or PayPal
paid. "Totals per month" sums the whole ledger by month.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone

from artists.crypto import PayoutDetailsUnreadable
from ledger import selectors
from ledger.backends import (
    PayoutError,
    payout_batch_create,
    payout_batch_mark_paid,
    paypal_csv,
    sepa_file,
)
from ledger.models import LedgerEntry, LedgerTransaction, Payout, PayoutBackend, PayoutBatch
from ledger.payouts import payout_mark_failed


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class LedgerEntryInline(ReadOnlyMixin, admin.TabularInline):
    model = LedgerEntry
    fields = ("account", "kind", "artist", "amount", "currency", "available_at")
    readonly_fields = fields
    extra = 0


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("idempotency_key", "kind", "description", "created_at")
    list_filter = ("kind", "created_at")
    search_fields = ("idempotency_key",)
    inlines = [LedgerEntryInline]
    change_list_template = "ledger/admin_transactions.html"

    def get_urls(self):
        totals = self.admin_site.admin_view(self.totals_view)
        return [
            path("totals/", totals, name="ledger_ledgertransaction_totals"),
            *super().get_urls(),
        ]

    def totals_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Ledger totals per month",
            "months": selectors.platform_totals(),
        }
        return TemplateResponse(request, "ledger/admin_totals.html", context)


@admin.register(Payout)
class PayoutAdmin(ReadOnlyMixin, admin.ModelAdmin):
    # The method is named, never shown: its details stay encrypted here.
    list_display = ("artist", "period", "amount", "currency", "backend", "status", "batch")
    list_filter = ("status", "backend", "period")
    search_fields = ("artist__artist_name", "gateway_ref")
    list_select_related = ("artist", "batch")
    readonly_fields = (
        "artist",
        "period",
        "amount",
        "currency",
        "backend",
        "status",
        "batch",
        "gateway_ref",
        "failure_reason",
        "created_at",
    )
    exclude = ("payout_method",)
    actions = ["mark_failed"]

    def has_change_permission(self, request, obj=None):
        # The action needs it; every field stays read-only.
        return request.user.has_perm("ledger.change_payout")

    @admin.action(
        description="Mark failed (the bank or PayPal returned it; paid again next run)",
        permissions=["change"],
    )
    def mark_failed(self, request, queryset):
        for payout in queryset.order_by("pk"):
            payout_mark_failed(
                payout=payout, reason="Returned by the bank or PayPal.", by=request.user
            )
        self.message_user(request, "The payouts are failed; their amounts are back in balances.")


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("__str__", "backend", "payouts_count", "exported_at", "paid_at")
    list_filter = ("backend",)
    actions = ["download_file", "mark_paid"]
    change_list_template = "ledger/admin_batches.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(payouts_count=Count("payouts"))

    @admin.display(description="Payouts", ordering="payouts_count")
    def payouts_count(self, batch):
        return batch.payouts_count

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("ledger.change_payoutbatch")

    def get_urls(self):
        gather = self.admin_site.admin_view(self.gather_view)
        return [
            path("gather/", gather, name="ledger_payoutbatch_gather"),
            *super().get_urls(),
        ]

    def gather_view(self, request):
        """POST: a batch of the waiting payouts of the chosen backend."""
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        backend = request.POST.get("backend", "")
        try:
            batch = payout_batch_create(backend=backend)
        except PayoutError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            if batch is None:
                self.message_user(request, "No payout is waiting for a file.", messages.WARNING)
            else:
                self.message_user(request, f"{batch} made: download its file, then mark it paid.")
        return redirect("admin:ledger_payoutbatch_changelist")

    @admin.action(description="Download the file to upload (one batch)", permissions=["change"])
    def download_file(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one batch.", messages.ERROR)
            return None
        batch = queryset.get()
        stamp = timezone.localdate().isoformat()
        try:
            if batch.backend == PayoutBackend.SEPA:
                body, kind, name = sepa_file(batch=batch), "application/xml", f"sepa-{stamp}.xml"
            else:
                body, kind, name = paypal_csv(batch=batch), "text/csv", f"paypal-{stamp}.csv"
        except (PayoutError, PayoutDetailsUnreadable) as error:
            self.message_user(request, str(error), messages.ERROR)
            return None
        response = HttpResponse(body, content_type=kind)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(
        description="Mark paid (the bank or PayPal paid the file)", permissions=["change"]
    )
    def mark_paid(self, request, queryset):
        for batch in queryset.order_by("pk"):
            try:
                paid = payout_batch_mark_paid(batch=batch, by=request.user)
            except PayoutError as error:
                self.message_user(request, f"{batch}: {error}", messages.ERROR)
            else:
                self.message_user(request, f"{batch}: {paid} payouts paid.")
