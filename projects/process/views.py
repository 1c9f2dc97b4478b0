"""The "Việc của tôi" page."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from projects.process.mywork import waiting_for

# The soonest-due items of each group on the page; the count says how many there are in all.
PAGE_ITEMS = 100


@login_required
@require_safe
def my_work(request):
    groups = waiting_for(request.user, limit=PAGE_ITEMS)
    return render(
        request,
        "projects/my_work.html",
        {"groups": groups, "total": sum(group.count for group in groups)},
    )
