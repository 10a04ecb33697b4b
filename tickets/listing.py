"""Rendering a filtered, paginated list of requests: shared by My requests and the agents' queue."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import EmptyPage, InvalidPage, Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """A paginator that counts no further than `cap` rows.

    Counting every row costs as much as reading them: an organisation with 100,000 requests, or a common word,
    would make every page of the list pay for all of them. Up to `cap` a list says how many rows it has, as
    usual; beyond it, it says "more than cap" and its pages go on for as long as there are rows (each page reads
    one row more than it shows, to know whether another page follows).
    """

    def __init__(self, object_list, per_page: int, *, cap: int, count_in_order: bool = False) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap
        self.count_in_order = count_in_order

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
        return number

    def page(self, number) -> Page:
        if not self.is_capped:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        if not rows:
            raise EmptyPage("That page contains no results")
        return CappedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)


class CappedPage(Page):
    def __init__(self, object_list, number: int, paginator: CappedPaginator, *, has_more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more

    def end_index(self) -> int:
        return self.start_index() + len(self.object_list) - 1


def render_listing(request: HttpRequest, template: str, filterset, **context) -> HttpResponse:
    """Invalid filters are a 400 with the form's errors; a page that does not exist is a 404. The page links
    keep every filter, so any view of the list can be bookmarked."""
    context.update(filterset=filterset, page=None)
    if not filterset.is_valid():
        return render(request, template, context, status=400)
    searching = bool(filterset.form.cleaned_data.get("q"))
    cap = settings.SEARCH_COUNT_LIMIT if searching else settings.LIST_COUNT_LIMIT
    # A search counts along the list's sort index, as its page is read: the first matches come early for a
    # common word, and a rare one is answered from the search index whatever the order. A plain list counts
    # without an order, from whichever index decides its filters.
    paginator = CappedPaginator(filterset.qs, settings.REQUESTS_PER_PAGE, cap=cap, count_in_order=searching)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("No such page.") from None
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, query=query.urlencode())
    return render(request, template, context)
