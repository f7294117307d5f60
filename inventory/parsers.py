"""The API's body parser: JSON objects only, sent as JSON, within the size limit."""

import json

from django.conf import settings
from django.http import HttpRequest
from ninja.parser import Parser

from inventory.errors import ApiError


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


class JsonObjectParser(Parser):
    """Parse a request body that must be a JSON object sent as ``application/json``."""

    def parse_body(self, request: HttpRequest) -> dict:
        content_type = request.content_type or ""
        if content_type.lower() != "application/json":
            raise ApiError(400, "send the body as Content-Type: application/json")
        # Django checks the declared length; a body sent without one is measured here.
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and len(request.body) > limit:
            raise ApiError(413, "the request body is too large")
        try:
            data = json.loads(request.body, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            raise ApiError(400, f"the body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ApiError(400, "the body must be a JSON object")
        return data
