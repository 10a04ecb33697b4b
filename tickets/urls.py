from django.urls import path

from tickets import views

app_name = "tickets"

urlpatterns = [
    path("", views.my_requests, name="my_requests"),
    path("new/", views.new_request, name="new"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/reply/", views.request_reply, name="reply"),
    path("<int:pk>/solve/", views.mark_solved, name="solve"),
    path("files/<int:pk>/", views.attachment_download, name="attachment"),
]
