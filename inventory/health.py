"""Health and metrics endpoints (placeholder)."""

from django.http import JsonResponse


def healthz(request):
    return JsonResponse({"status": "ok"})


def metrics(request):
    return JsonResponse({})
