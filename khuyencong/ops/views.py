from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from khuyencong.ops import health


@never_cache
@require_safe
def healthz(request):
    """200 when healthy, 503 otherwise; no login, nothing sensitive (see ops/health.py)."""
    result = health.check()
    return JsonResponse(result, status=200 if result["healthy"] else 503)
