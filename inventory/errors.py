"""The API's error envelope, and the handlers that put every failure into it."""

import functools
import logging
from collections.abc import Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.core.exceptions import ObjectDoesNotExist, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError

from inventory.models import Product
from inventory.services import InsufficientStock, ProductExists

logger = logging.getLogger(__name__)

#: The code an HTTP status gets when nothing more specific names the failure.
STATUS_CODES = {
    400: "invalid",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "rate_limited",
    500: "internal",
}


class ApiError(Exception):
    """A failure the client should see as ``{"error": {"code", "message"}}``."""

    def __init__(
        self, status: int, message: str, *, code: str | None = None, headers: dict | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or STATUS_CODES[status]
        self.message = message
        self.headers = headers or {}


def error_response(error: ApiError) -> JsonResponse:
    """The envelope of one error, with its status and headers."""
    response = JsonResponse(
        {"error": {"code": error.code, "message": error.message}}, status=error.status
    )
    if error.status == 401:
        # RFC 9110: a 401 names the scheme the client should use.
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    for name, value in error.headers.items():
        response[name] = value
    return response


def _field_errors(errors: list[dict]) -> str:
    """``quantity: Input should be a valid integer`` from pydantic's error list."""
    messages = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        # ninja's location starts with the source and, for a body, the parameter's name.
        where = loc[2:] if loc[:1] == ["body"] and len(loc) > 2 else loc[1:] or loc
        messages.append(f"{'.'.join(where)}: {error.get('msg', 'invalid')}")
    return "; ".join(messages) or "invalid request"


def _django_validation_message(exc: DjangoValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def api_error_from(exc: Exception) -> ApiError:
    """The client-facing error for an exception raised while answering an API request."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, NinjaValidationError):
        return ApiError(400, _field_errors(exc.errors))
    if isinstance(exc, HttpError):
        # A body that could not be parsed arrives wrapped; its cause says why.
        if isinstance(exc.__cause__, ApiError):
            return exc.__cause__
        if exc.__cause__ is not None and exc.status_code == 400:
            return ApiError(400, f"the body is not valid JSON: {exc.__cause__}")
        status = exc.status_code if exc.status_code in STATUS_CODES else 400
        return ApiError(status, str(exc))
    if isinstance(exc, RequestDataTooBig):
        return ApiError(413, "the request body is too large")
    if isinstance(exc, ProductExists):
        return ApiError(409, f"a product with sku {exc} exists already", code="exists")
    if isinstance(exc, InsufficientStock):
        return ApiError(409, str(exc), code="insufficient_stock")
    if isinstance(exc, Product.DoesNotExist):
        return ApiError(404, "no product has that sku")
    if isinstance(exc, ObjectDoesNotExist | Http404):
        return ApiError(404, "not found")
    if isinstance(exc, DjangoValidationError):
        return ApiError(400, _django_validation_message(exc))
    logger.error("API request failed", exc_info=exc)
    return ApiError(500, "internal error")


def errors_install(api: NinjaAPI) -> None:
    """Answer every exception an operation raises with the envelope."""

    def handle(request: HttpRequest, exc: Exception) -> HttpResponse:
        return error_response(api_error_from(exc))

    # ninja picks the most specific handler along the exception's MRO, so its own
    # defaults for these classes must be replaced one by one.
    for exc_class in (Exception, Http404, HttpError, NinjaValidationError):
        api.add_exception_handler(exc_class, handle)


def json_only(view: Callable) -> Callable:
    """Wrap one of the API's URL views so that what ninja leaves to Django is JSON too."""

    def convert(response: HttpResponse) -> HttpResponse:
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            error = ApiError(405, f"allowed methods: {allowed}", headers={"Allow": allowed})
            return error_response(error)
        return response

    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: object, **kwargs: object):
            try:
                return convert(await view(request, *args, **kwargs))
            except Exception as exc:
                return error_response(api_error_from(exc))

        return markcoroutinefunction(async_wrapper)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        try:
            return convert(view(request, *args, **kwargs))
        except Exception as exc:
            return error_response(api_error_from(exc))

    return wrapper


@csrf_exempt
def api_not_found(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    """Any path under the API's prefix that no route matches."""
    return error_response(ApiError(404, f"no API endpoint at {request.path}"))
