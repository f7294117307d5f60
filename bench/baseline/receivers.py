"""The tutorial's announcement: a ``post_save`` receiver that sends the product to its group."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db.models.signals import post_save
from django.dispatch import receiver

from inventory.models import Product


def product_group(sku: str) -> str:
    return f"baseline_product_{sku}"


@receiver(post_save, sender=Product, dispatch_uid="bench.baseline.product_saved")
def product_saved(sender, instance: Product, created: bool, **kwargs) -> None:
    """Tell the product's group, as the tutorials do: inside the save, one message per save."""
    async_to_sync(get_channel_layer().group_send)(
        product_group(instance.sku),
        {
            "type": "stock.update",
            "sku": instance.sku,
            "name": instance.name,
            "stock": instance.stock,
            "seq": instance.seq,
            "at": instance.updated_at.isoformat(),
        },
    )
