"""The API's product endpoints: read products and their events, create them, change stock."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from inventory import services
from inventory.auth import stock_writer
from inventory.models import Product, Source, StockEvent
from inventory.schemas import ProductIn, QuantityIn, StockIn, path_sku
from inventory.selectors import product_list_data, stock_change_from_event
from inventory.serializers import product_data, stock_change_data

router = Router(tags=["products"])


@router.get("/")
def product_list(request: HttpRequest) -> dict:
    return {"products": product_list_data()}


@router.post("/", auth=stock_writer, response={201: dict})
def product_create(request: HttpRequest, body: ProductIn) -> Status:
    product = services.product_create(
        sku=body.sku, name=body.name, stock=body.stock, actor=request.user, source=Source.API
    )
    return Status(201, product_data(product))


@router.get("/{sku}/")
def product_detail(request: HttpRequest, sku: str) -> dict:
    return product_data(Product.objects.get(sku=path_sku(sku)))


@router.get("/{sku}/events")
def product_events(request: HttpRequest, sku: str, limit: int = Query(50, ge=1, le=500)) -> dict:
    """The product's last ``limit`` logged events, oldest first, shaped like ``stock`` frames."""
    product = Product.objects.get(sku=path_sku(sku))
    rows = StockEvent.objects.filter(product=product).order_by("-seq")[:limit]
    changes = [stock_change_from_event(row) for row in reversed(rows.select_related("product"))]
    return {"events": [stock_change_data(change) for change in changes]}


@router.post("/{sku}/restock", auth=stock_writer)
def product_restock(request: HttpRequest, sku: str, body: QuantityIn) -> dict:
    product = services.product_restock(
        sku=path_sku(sku), quantity=body.quantity, actor=request.user, source=Source.API
    )
    return product_data(product)


@router.post("/{sku}/sell", auth=stock_writer)
def product_sell(request: HttpRequest, sku: str, body: QuantityIn) -> dict:
    product = services.product_sell(
        sku=path_sku(sku), quantity=body.quantity, actor=request.user, source=Source.API
    )
    return product_data(product)


@router.put("/{sku}/stock", auth=stock_writer)
def product_set_stock(request: HttpRequest, sku: str, body: StockIn) -> dict:
    product = services.product_set_stock(
        sku=path_sku(sku), stock=body.stock, actor=request.user, source=Source.API
    )
    return product_data(product)
