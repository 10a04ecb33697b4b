"""Organisation-level access in the portal: ask, approve or decline, withdraw (SPEC §11).

Granting and revoking are for site admins, in the admin. An ask is only ever reachable by the person who made
it and the technical contact it names; anyone else gets 404.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import actions
from accounts.forms import AskForAccessForm, LanguageForm, PreferencesForm
from accounts.models import AccessRequest, OrganisationAccess
from tickets.access import parse_id


def _customer(request: HttpRequest) -> None:
    if request.user.is_staff or request.user.organisation_id is None:
        raise Http404("Organisation-level access is for customers.")


def _ask_for(request: HttpRequest, pk: int, *, as_approver: bool) -> AccessRequest:
    party = Q(approver_id=request.user.pk) if as_approver else Q(person_id=request.user.pk)
    number = parse_id(pk)
    ask = AccessRequest.objects.filter(party, pk=number, organisation_id=request.user.organisation_id).first()
    if number is None or ask is None:
        raise Http404("No such ask.")
    return ask


@login_required
@require_GET
def organisation_access(request: HttpRequest) -> HttpResponse:
    _customer(request)
    user = request.user
    grant = OrganisationAccess.objects.active().filter(user=user, organisation_id=user.organisation_id).first()
    mine = AccessRequest.objects.filter(person=user).select_related("approver", "ticket")[:10]
    to_approve = AccessRequest.objects.filter(
        approver=user,
        organisation_id=user.organisation_id,
        state=AccessRequest.State.PENDING,
        approval=AccessRequest.Approval.PENDING,
    ).select_related("person")
    pending = next((ask for ask in mine if ask.is_pending), None)
    may_ask = grant is None and pending is None and (user.is_technical_contact or user.is_org_admin)
    context = {
        "grant": grant,
        "asks": mine,
        "pending": pending,
        "to_approve": to_approve,
        "form": AskForAccessForm(person=user) if may_ask else None,
    }
    return render(request, "accounts/organisation_access.html", context)


@login_required
@require_POST
def ask(request: HttpRequest) -> HttpResponse:
    _customer(request)
    if not (request.user.is_technical_contact or request.user.is_org_admin):
        raise Http404("Only technical contacts and organisation administrators ask for organisation access.")
    form = AskForAccessForm(request.POST, person=request.user)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect("accounts:organisation_access")
    try:
        created = actions.ask_for_access(person=request.user, approver=form.cleaned_data.get("approver"))
    except actions.AccessRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Your ask was sent as request #%(id)s.") % {"id": created.ticket_id})
    return redirect("accounts:organisation_access")


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=True)


@login_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _decide(request, pk, approve=False)


def _decide(request: HttpRequest, pk: int, *, approve: bool) -> HttpResponse:
    _customer(request)
    target = _ask_for(request, pk, as_approver=True)
    try:
        actions.decide_approval(ask=target, approver=request.user, approve=approve)
    except actions.AccessRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("You approved the ask.") if approve else _("You declined the ask."))
    return redirect("accounts:organisation_access")


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    _customer(request)
    target = _ask_for(request, pk, as_approver=False)
    try:
        actions.withdraw(ask=target, person=request.user)
    except actions.AccessRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, _("Your ask was withdrawn."))
    return redirect("accounts:organisation_access")


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The header's language switch: a cookie for everyone, and the profile too for a signed-in person, so
    their emails follow. Goes back to the page it was used on."""
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Choose one of the languages offered."))
    language = form.cleaned_data["language"]
    target = form.cleaned_data["next"]
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("home")
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=request.is_secure(),
        httponly=True,
    )
    return response


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    form = PreferencesForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        translation.activate(form.instance.language or translation.get_language_from_request(request))
        messages.success(request, _("Your preferences were saved."))
        return redirect("preferences")
    return render(request, "accounts/preferences.html", {"form": form}, status=400 if form.errors else 200)


@require_GET
def admin_sign_in(request: HttpRequest) -> HttpResponse:
    """The admin's sign-in page is the portal's: one form, one rate limit on failed attempts, the same second
    factor. Staff who are signed in go where they were headed; anyone else signed in has no admin to go to."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        return redirect(target if request.user.is_staff else "home")
    return redirect(f"{reverse('account_login')}?{urlencode({'next': target})}")
