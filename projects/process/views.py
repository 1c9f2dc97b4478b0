"""The "Việc của tôi" page, and one group of it in full."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from projects.process.mywork import waiting_for
from projects.process.work import TITLES, WorkGroup

# The soonest-due items of each group on the page; the count says how many there are in all,
# and "Xem tất cả" opens the group's own page with every item, a page of the list at a time.
PAGE_ITEMS = 10


@login_required
@require_safe
def my_work(request):
    groups = waiting_for(request.user, limit=PAGE_ITEMS)
    return render(
        request,
        "projects/my_work.html",
        {"groups": groups, "total": sum(group.count for group in groups)},
    )


@login_required
@require_safe
def my_work_group(request, key):
    """One group of "Việc của tôi", every item, soonest due first, PAGE_SIZE at a time."""
    try:
        number = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        number = 1
    size = settings.PAGE_SIZE
    if key not in TITLES:
        raise Http404
    groups = waiting_for(request.user, limit=size, offset=(number - 1) * size, only=key)
    # A group that is not this person's (a viewer's, or another role's) is empty for them.
    group = groups[0] if groups else WorkGroup(key, TITLES[key])
    # The count is exact; the paginator only numbers the pages (a range stands for the items).
    page = Paginator(range(group.count), size).get_page(number)
    if page.number != number:
        return redirect(f"{request.path}?page={page.number}")
    return render(request, "projects/my_work_group.html", {"group": group, "page": page})
