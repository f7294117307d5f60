"""The JSON HTTP API: one ninja Router per area, every answer JSON, every error one envelope.

``config.api`` adds the routers, so that apps which build on the store add theirs without
the store knowing them.
"""

from django.urls import URLPattern, re_path
from ninja import NinjaAPI

from inventory.auth import anyone
from inventory.errors import api_not_found, errors_install, json_only
from inventory.parsers import JsonObjectParser


class JsonApi(NinjaAPI):
    """A NinjaAPI whose unknown paths and methods answer with the error envelope too."""

    @property
    def urls(self) -> tuple[list, str, str]:
        patterns, app_name, namespace = super().urls
        wrapped = [
            URLPattern(p.pattern, json_only(p.callback), p.default_args, p.name)
            if isinstance(p, URLPattern)
            else p
            for p in patterns
        ]
        # Last, so that it only sees what no route matched.
        wrapped.append(re_path(r"", api_not_found))
        return wrapped, app_name, namespace


api = JsonApi(
    title="stockwatch",
    version="1",
    auth=anyone,
    parser=JsonObjectParser(),
    docs_url=None,
    urls_namespace="api",
)
errors_install(api)
