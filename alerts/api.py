"""The API's alert endpoints: a signed-in shopper lists, arms and cancels their alerts."""

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from ninja import Router, Status

from alerts import selectors, services
from alerts.serializers import alert_data
from inventory.auth import Writer, request_credential
from inventory.errors import ApiError
from inventory.schemas import path_sku

router = Router(tags=["alerts"])


class SignedIn:
    """Auth for a shopper's own reads: any signed-in caller; anonymous ones get 401."""

    def __call__(self, request: HttpRequest) -> AbstractBaseUser:
        user, request.api_credential = request_credential(request)
        if not user.is_authenticated:
            raise ApiError(401, "sign in or send 'Authorization: Bearer TOKEN'")
        return user


signed_in = SignedIn()
#: Any signed-in shopper may arm and cancel their alerts, within their own write budget.
alert_writer = Writer(permission=None, group="api.alert-write")


@router.get("/alerts/", auth=signed_in)
def alert_list(request: HttpRequest) -> dict:
    alerts = selectors.alert_list(user=request.user)
    return {"alerts": [alert_data(alert, sku=alert.product.sku) for alert in alerts]}


@router.post("/products/{sku}/alert", auth=alert_writer, response={200: dict, 201: dict})
def alert_arm(request: HttpRequest, sku: str) -> Status:
    """201 when this call armed the alert (also after a notification), 200 when it was armed."""
    alert, armed = services.alert_arm(user=request.user, sku=path_sku(sku))
    return Status(201 if armed else 200, alert_data(alert, sku=sku))


@router.delete("/products/{sku}/alert", auth=alert_writer, response={204: None})
def alert_cancel(request: HttpRequest, sku: str) -> Status:
    """204 whether or not an alert was armed: afterwards none is, which is what was asked."""
    services.alert_cancel(user=request.user, sku=path_sku(sku))
    return Status(204, None)
