"""The JSON HTTP API (placeholder until the API lands)."""

from ninja import NinjaAPI

api = NinjaAPI(title="stockwatch", version="1")
