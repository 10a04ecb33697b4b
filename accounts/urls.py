from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.organisation_access, name="organisation_access"),
    path("ask/", views.ask, name="ask"),
    path("<int:pk>/approve/", views.approve, name="approve"),
    path("<int:pk>/decline/", views.decline, name="decline"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
]
