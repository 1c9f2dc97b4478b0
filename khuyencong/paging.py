"""Pages of long lists."""

from django.core.paginator import Paginator
from django.db.models import QuerySet


class ListPaginator(Paginator):
    """Pages a queryset by choosing the page's ids first ("deferred join"): the rows skipped by
    OFFSET are read as ids from the index of the list's order, and only the page's rows are
    joined to their related tables and computed columns. A plain OFFSET makes the database
    build every skipped row in full: on the last page of 50,000 projects that was all of them.
    The page is still one query (the ids are a subquery) and shows the same rows."""

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        rows = self.object_list
        if isinstance(rows, QuerySet):
            rows = rows.filter(pk__in=rows.values("pk")[bottom:top])
        else:
            rows = rows[bottom:top]
        return self._get_page(rows, number, self)
