from django.contrib import admin
from django.urls import include, path

from tickets import views as ticket_views

urlpatterns = [
    path("", ticket_views.home, name="home"),
    path("requests/", include("tickets.urls")),
    path("agent/", include("workflow.urls")),
    path("organisation-access/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]
