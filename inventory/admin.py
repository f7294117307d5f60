"""The store's admin: products (stock changed only through the services), the log, tokens."""

import logging

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone

from inventory.models import ApiToken, Product, Source, StockEvent
from inventory.services import MAX_STOCK, product_create, product_restock, product_set_stock

logger = logging.getLogger(__name__)


class AvailabilityFilter(admin.SimpleListFilter):
    title = "availability"
    parameter_name = "availability"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple]:
        return [("sold_out", "Sold out"), ("in_stock", "In stock")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "sold_out":
            return queryset.filter(stock=0)
        if self.value() == "in_stock":
            return queryset.filter(stock__gt=0)
        return queryset


class ProductForm(forms.ModelForm):
    stock = forms.IntegerField(min_value=0, max_value=MAX_STOCK)

    class Meta:
        model = Product
        fields = ["sku", "name", "stock"]


class RestockForm(forms.Form):
    quantity = forms.IntegerField(min_value=1, max_value=MAX_STOCK, label="Add to each product")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    list_display = ["sku", "name", "stock", "seq", "updated_at"]
    list_filter = [AvailabilityFilter]
    search_fields = ["sku", "name"]
    ordering = ["sku"]
    actions = ["restock_selected"]

    def get_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        if obj is None:
            return ["sku", "name", "stock"]
        return ["sku", "name", "stock", "seq", "updated_at"]

    def get_readonly_fields(self, request: HttpRequest, obj: Product | None = None) -> list[str]:
        # The sku is the public identifier and never changes once created.
        return [] if obj is None else ["sku", "seq", "updated_at"]

    def save_model(
        self, request: HttpRequest, obj: Product, form: forms.ModelForm, change: bool
    ) -> None:
        """Write through the services, so that every stock change is logged and announced."""
        if not change:
            created = product_create(
                sku=obj.sku, name=obj.name, stock=obj.stock, actor=request.user, source=Source.ADMIN
            )
            obj.pk, obj.seq, obj.updated_at = created.pk, created.seq, created.updated_at
            return
        if "name" in form.changed_data:
            # The name is no stock: a plain update, before the stock so that its event has it.
            Product.objects.filter(pk=obj.pk).update(name=obj.name)
        if "stock" in form.changed_data:
            product = product_set_stock(
                sku=obj.sku, stock=obj.stock, actor=request.user, source=Source.ADMIN
            )
            obj.seq, obj.updated_at = product.seq, product.updated_at

    @admin.action(description="Restock selected products", permissions=["change"])
    def restock_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        """Ask for a quantity on an intermediate page, then add it to each selected product."""
        form = RestockForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            quantity = form.cleaned_data["quantity"]
            skus = list(queryset.order_by("sku").values_list("sku", flat=True))
            try:
                with transaction.atomic():
                    for sku in skus:
                        product_restock(
                            sku=sku, quantity=quantity, actor=request.user, source=Source.ADMIN
                        )
            except (ValidationError, Product.DoesNotExist) as exc:
                self.message_user(request, f"Nothing was restocked: {exc}", messages.ERROR)
                return None
            self.message_user(
                request,
                f"Added {quantity} to the stock of {len(skus)} product(s).",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Restock selected products",
            "opts": self.model._meta,
            "form": form,
            "products": queryset.order_by("sku"),
            "action_name": "restock_selected",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/inventory/product/restock.html", context)


@admin.register(StockEvent)
class StockEventAdmin(admin.ModelAdmin):
    """The log is history: it can be read and searched, never edited."""

    list_display = ["sku", "seq", "event", "previous", "stock", "source", "actor", "at"]
    list_filter = ["event", "source"]
    search_fields = ["sku"]
    list_select_related = ["actor"]
    ordering = ["-at", "-id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StockEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StockEvent | None = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued by ``manage.py issue_token``; here they are listed and revoked."""

    list_display = ["prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "user__username"]
    list_select_related = ["user"]
    fields = ["prefix", "user", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Revoke selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        logger.info("%s revoked %d API token(s) in the admin", request.user, count)
        self.message_user(request, f"Revoked {count} token(s).", messages.SUCCESS)
