from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from facilities.models import Facility
from khuyencong import access


@login_required
def home(request):
    facilities = access.scope_by_locality(Facility.objects.all(), request.user)
    return render(
        request,
        "home.html",
        {"facility_count": facilities.count()},
    )
