"""Rendering a filtered, paginated list of requests: shared by My requests and the agents' queue."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render


def render_listing(request: HttpRequest, template: str, filterset, **context) -> HttpResponse:
    """Invalid filters are a 400 with the form's errors; a page that does not exist is a 404. The page links
    keep every filter, so any view of the list can be bookmarked."""
    context.update(filterset=filterset, page=None)
    if not filterset.is_valid():
        return render(request, template, context, status=400)
    paginator = Paginator(filterset.qs, settings.REQUESTS_PER_PAGE)
    try:
        page = paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("No such page.") from None
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, query=query.urlencode())
    return render(request, template, context)
