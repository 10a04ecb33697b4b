from django.urls import path

from tickets import chat_views, views

app_name = "tickets"

urlpatterns = [
    path("", views.my_requests, name="my_requests"),
    path("new/", views.new_request, name="new"),
    path("<int:pk>/", views.request_detail, name="detail"),
    path("<int:pk>/reply/", views.request_reply, name="reply"),
    path("<int:pk>/solve/", views.mark_solved, name="solve"),
    path("files/<int:pk>/", views.attachment_download, name="attachment"),
    path("chats/start/", chat_views.start, name="chat_start"),
    path("chats/<int:pk>/", chat_views.page, name="chat"),
    path("chats/<int:pk>/messages/", chat_views.poll, name="chat_poll"),
    path("chats/<int:pk>/post/", chat_views.post, name="chat_post"),
    path("chats/<int:pk>/end/", chat_views.end, name="chat_end"),
    path("chats/<int:pk>/take/", chat_views.take, name="chat_take"),
    path("chats/waiting/", chat_views.agent_list, name="agent_chats"),
]
