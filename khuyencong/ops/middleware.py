"""Request id on every request: taken from X-Request-ID when well-formed (nginx sends its
$request_id), else generated; echoed in the response header and put on every log line; one
`khuyencong.request` line per request with method, path, status and duration."""

import logging
import time

from khuyencong.ops.logging import current_request, request_id_from

logger = logging.getLogger("khuyencong.request")

# Paths a monitor polls every minute: their request lines are DEBUG, not INFO.
QUIET_PATHS = {"/healthz"}


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = request_id_from(request.headers.get("X-Request-ID"))
        token = current_request.set(request)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id
            logger.log(
                logging.DEBUG if request.path in QUIET_PATHS else logging.INFO,
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.monotonic() - started) * 1000, 1),
                },
            )
            return response
        finally:
            current_request.reset(token)
