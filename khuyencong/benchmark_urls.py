"""The portal's URLs plus the benchmark's floor: the cheapest page a signed-in user can ask for
(the whole middleware stack, the session and the user, no query of its own, no template). Other
pages are measured against it. Served only with khuyencong.benchmark_settings."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import path

from khuyencong.urls import urlpatterns as portal

FLOOR_PATH = "do-hieu-nang/san/"


@login_required
def floor(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path(FLOOR_PATH, floor, name="benchmark_floor"), *portal]
