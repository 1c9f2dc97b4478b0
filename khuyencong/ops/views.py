import logging

from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from khuyencong.ops import health

logger = logging.getLogger(__name__)


@never_cache
@require_safe
def healthz(request):
    """200 when healthy, 503 otherwise; no login, nothing sensitive (see ops/health.py)."""
    result = health.check()
    response = JsonResponse(result, status=200 if result["healthy"] else 503)
    if not result["healthy"]:
        failing = sorted(name for name, item in result["checks"].items() if not item["ok"])
        logger.warning("unhealthy: %s", ", ".join(failing), extra={"failing": failing})
        # A 503 here is the monitor's business, not an error to e-mail to ADMINS every minute
        # (Django's `log_response` skips responses marked as logged).
        response._has_been_logged = True
    return response
