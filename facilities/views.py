from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from facilities.models import Facility
from khuyencong import access


@login_required
def facility_list(request):
    qs = access.scope_by_locality(Facility.objects.for_list(), request.user)
    return render(request, "facilities/list.html", {"facilities": qs})
