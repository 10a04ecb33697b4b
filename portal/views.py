"""The benchmark floor (issue #10): the least any page of this stack can cost.

It signs the person in through the same middleware as every page and renders the base template with nothing in
it, so `manage.py bench` can say how far each real page is from the cost of the stack itself. It answers 404
unless DEBUG is on or BENCHMARK_FLOOR is set (the bench command sets it while it runs), so production serves
nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET


def benchmark_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """404 before anything else (even the sign-in redirect) while the floor is not switched on."""

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not (settings.DEBUG or getattr(settings, "BENCHMARK_FLOOR", False)):
            raise Http404("The benchmark floor is off.")
        return view(request, *args, **kwargs)

    return guarded


@benchmark_only
@login_required
@require_GET
def bench_floor(request: HttpRequest) -> HttpResponse:
    return render(request, "bench_floor.html")
