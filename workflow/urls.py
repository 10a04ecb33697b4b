from django.urls import path

from workflow import views

app_name = "workflow"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("requests/<int:pk>/status/", views.change_status, name="status"),
    path("requests/<int:pk>/priority/", views.reclassify, name="priority"),
    path("requests/<int:pk>/assignee/", views.assign, name="assign"),
    path("requests/<int:pk>/subject/", views.rename, name="subject"),
    path("requests/<int:pk>/merge/", views.merge, name="merge"),
]
