from django.contrib import admin
from django.urls import include, path

from accounts import views as account_views
from portal import health
from portal import views as portal_views
from tickets import views as ticket_views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),  # for load balancers: no sign-in, no session
    path("", ticket_views.home, name="home"),
    path("requests/", include("tickets.urls")),
    path("agent/", include("workflow.urls")),
    path("organisation-access/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("preferences/", account_views.preferences, name="preferences"),
    path("language/", account_views.set_language, name="set_language"),
    # Before the admin's own URLs: its sign-in is the portal's (rate-limited, two-factor).
    path("admin/login/", account_views.admin_sign_in, name="admin_sign_in"),
    path("admin/", admin.site.urls),
    # 404 unless DEBUG or BENCHMARK_FLOOR (manage.py bench turns it on while it runs).
    path("bench/floor/", portal_views.bench_floor, name="bench_floor"),
]

# A database outage answers 503 "back in a moment", anything else the 500 page (portal/errors.py).
handler500 = "portal.errors.server_error"
