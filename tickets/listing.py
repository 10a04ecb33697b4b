"""Rendering a filtered, paginated list of requests: shared by My requests and the agents' queue."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import EmptyPage, InvalidPage, Page, Paginator
from django.db.models import Count, IntegerField, Subquery, Window
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import cached_property

MAX_OFFSET = 2**31


class CappedPaginator(Paginator):
    """A paginator that counts no further than `cap` rows.

    Counting every row costs as much as reading them: an organisation with 100,000 requests, or a common word,
    would make every page of the list pay for all of them. Up to `cap` a list says how many rows it has, as
    usual; beyond it, it says "more than cap" and its pages go on for as long as there are rows (each page reads
    one row more than it shows, to know whether another page follows). A page reads its rows and the count in one
    query; `count_with_rows=False` counts first, as Django's paginator does.
    """

    def __init__(
        self,
        object_list,
        per_page: int,
        *,
        cap: int,
        count_in_order: bool = False,
        count_with_rows: bool = True,
        read_whole: bool = False,
    ) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap
        self.count_in_order = count_in_order
        self.count_with_rows = count_with_rows
        self.read_whole = read_whole

    @cached_property
    def count(self) -> int:
        rows = self.object_list if self.count_in_order else self.object_list.order_by()
        return rows.values("pk")[: self.cap + 1].count()

    @property
    def is_capped(self) -> bool:
        return self.count > self.cap

    def validate_number(self, number) -> int:
        if not self.is_capped:
            return super().validate_number(number)
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise InvalidPage("That page number is not an integer") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1")
        if (number - 1) * self.per_page > MAX_OFFSET:
            raise EmptyPage("That page contains no results")  # past any list; the database could not even say so
        return number

    def page(self, number) -> Page:
        if self.count_with_rows and "count" not in self.__dict__:
            page = self._page_with_count(number)
            if page is not None:
                return page
        if not self.is_capped:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows:
            raise EmptyPage("That page contains no results")
        return CappedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)

    def _page_with_count(self, number) -> Page | None:
        """The page's rows and, on each, how many rows the list has (up to the cap): one query instead of a count
        and then the page. A list whose rows are all read to sort them anyway (`read_whole`: a customer's own and
        copied requests lie scattered across the table) counts them as it reads them; any other list counts in a
        subquery that names none of the page's columns, which the database runs once. None when the page has no
        rows (past the end, or an empty list) or the number names none: then the count decides what to answer."""
        try:
            number = int(number)
        except (TypeError, ValueError):
            return None
        bottom = (number - 1) * self.per_page
        if not 0 <= bottom <= MAX_OFFSET:
            return None  # no page, or one past any list (its offset would overflow the database's integers)
        if self.read_whole:
            total = Window(Count("pk"))
        else:
            counted = self.object_list if self.count_in_order else self.object_list.order_by()
            total = CappedCount(counted.values("pk")[: self.cap + 1])
        rows = list(self.object_list.annotate(list_total=total)[bottom : bottom + self.per_page + 1])
        if not rows:
            return None
        self.__dict__["count"] = min(rows[0].list_total, self.cap + 1)  # what `count` would have said
        if self.is_capped:
            return CappedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)
        return self._get_page(rows[: self.per_page], number, self)


class CappedCount(Subquery):
    """How many rows a query gives, as a column: `(SELECT COUNT(*) FROM (the query))`, the query limited to the cap."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS counted)"
    output_field = IntegerField()


class CappedPage(Page):
    def __init__(self, object_list, number: int, paginator: CappedPaginator, *, has_more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1


def render_listing(
    request: HttpRequest, template: str, filterset, *, read_whole: bool = False, **context
) -> HttpResponse:
    """Invalid filters are a 400 with the form's errors; a page that does not exist is a 404. The page links
    keep every filter, so any view of the list can be bookmarked. A page and its count are one query;
    `read_whole`: the list's rows are all read to sort them (no index gives its order), so its page counts them as
    it reads them, unless it is a search."""
    context.update(filterset=filterset, page=None)
    if not filterset.is_valid():
        return render(request, template, context, status=400)
    searching = bool(filterset.form.cleaned_data.get("q"))
    cap = settings.SEARCH_COUNT_LIMIT if searching else settings.LIST_COUNT_LIMIT
    # A search counts along the list's sort index, as its page is read: the first matches come early for a
    # common word, and a rare one is answered from the search index whatever the order. A plain list counts
    # without an order, from whichever index decides its filters.
    paginator = CappedPaginator(
        filterset.qs,
        settings.REQUESTS_PER_PAGE,
        cap=cap,
        count_in_order=searching,
        read_whole=read_whole and not searching,
    )
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("No such page.") from None
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, query=query.urlencode())
    return render(request, template, context)
