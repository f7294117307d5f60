"""Staff views of alerts: demand per product, the alerts themselves and the email outbox."""

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from alerts.models import BackInStockAlert, OutboxEmail, OutboxStatus, ProductDemand
from alerts.selectors import product_demand


@admin.register(ProductDemand)
class ProductDemandAdmin(admin.ModelAdmin):
    """Per product: how many shoppers wait for it, and how many its last restock told."""

    list_display = [
        "sku",
        "name",
        "stock",
        "armed_alerts",
        "fired_on_last_restock",
        "last_restock_at",
    ]
    search_fields = ["sku", "name"]
    ordering = ["sku"]
    # Stock changes go through the product admin's services, never through this view.
    actions = None

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return product_demand(super().get_queryset(request))

    @admin.display(description="armed alerts", ordering="armed_alerts")
    def armed_alerts(self, product: ProductDemand) -> int:
        return product.armed_alerts

    @admin.display(description="fired on last restock", ordering="fired_on_last_restock")
    def fired_on_last_restock(self, product: ProductDemand) -> int:
        return product.fired_on_last_restock

    @admin.display(description="last restock", ordering="last_restock_at")
    def last_restock_at(self, product: ProductDemand):
        return product.last_restock_at

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(BackInStockAlert)
class BackInStockAlertAdmin(admin.ModelAdmin):
    list_display = ["product", "user", "status", "created_at", "notified_at"]
    list_filter = ["status", "created_at", "notified_at"]
    search_fields = ["product__sku", "product__name", "user__username", "user__email"]
    list_select_related = ["product", "user"]
    raw_id_fields = ["user", "product"]
    readonly_fields = ["notified_at", "fired_seq"]
    date_hierarchy = "created_at"


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = ["to", "subject", "status", "attempts", "next_attempt_at", "sent_at", "error"]
    list_filter = ["status", "created_at"]
    search_fields = ["to", "subject"]
    readonly_fields = [
        "to",
        "subject",
        "text",
        "html",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "created_at",
        "alert",
    ]
    actions = ["retry_now"]

    @admin.display(description="last error")
    def error(self, email: OutboxEmail) -> str:
        return email.last_error[:80]

    @admin.action(description="Retry the selected emails now", permissions=["change"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboxEmail]) -> None:
        # A sent email is never sent again; failed ones get one more attempt, due ones
        # move to the front.
        retried = queryset.filter(
            Q(status=OutboxStatus.FAILED) | Q(status=OutboxStatus.PENDING)
        ).update(status=OutboxStatus.PENDING, next_attempt_at=timezone.now())
        self.message_user(request, f"{retried} emails will be retried now.", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
