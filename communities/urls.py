from django.urls import path, re_path

from communities import moderation_views, views

app_name = "communities"

C = "<uuid:community_id>/"

urlpatterns = [
    path("", views.community_list, name="list"),
    path("mine/", views.community_mine, name="mine"),
    path("new/", views.community_create, name="create"),
    path("tiers/", views.tiers_order, name="tiers"),
    path(C, views.community_detail, name="detail"),
    path(C + "edit/", views.community_edit, name="edit"),
    path(C + "dashboard/", views.community_dashboard, name="dashboard"),
    path(C + "subscribe/", views.subscribe, name="subscribe"),
    path(C + "cancel/", views.subscription_cancel, name="cancel"),
    path(C + "resume/", views.subscription_resume, name="resume"),
    path(C + "accept-price/", views.subscription_accept_price, name="accept_price"),
    path(C + "leave/", views.subscription_leave, name="leave"),
    path(C + "tier/", views.tier_change, name="tier_change"),
    path(C + "tier/cancel/", views.tier_change_cancel, name="tier_change_cancel"),
    path(C + "forums/new/", views.forum_create, name="forum_create"),
    path(C + "forums/<uuid:forum_id>/", views.forum_detail, name="forum"),
    path(C + "forums/<uuid:forum_id>/chat/", views.forum_chat_poll, name="forum_chat"),
    path(C + "forums/search/", views.forum_search, name="forum_search"),
    path(C + "topics/<uuid:topic_id>/", views.topic_detail, name="topic"),
    path(C + "topics/<uuid:topic_id>/vote/", views.topic_vote, name="topic_vote"),
    path(C + "posts/<uuid:post_id>/react/", views.post_react, name="post_react"),
    path(C + "mentions/", views.mention_suggestions, name="mention_suggestions"),
    path(C + "posts/<uuid:post_id>/edit/", views.post_edit, name="post_edit"),
    path(C + "posts/<uuid:post_id>/delete/", views.post_delete, name="post_delete"),
    path(C + "posts/<uuid:post_id>/pin/", views.post_pin, name="post_pin"),
    path(C + "posts/<uuid:post_id>/answer/", views.post_answer, name="post_answer"),
    # Members-only pictures (communities/media.py): fresh names of ours, nothing else.
    re_path(
        r"^(?P<community_id>[0-9a-f-]{36})/media/(?P<name>[0-9a-f]{32}\.(?:jpg|png))$",
        views.private_media,
        name="media",
    ),
    path("flag/<str:kind>/<uuid:object_id>/", moderation_views.flag_item, name="flag"),
    path(C + "moderation/", moderation_views.moderation_queue, name="moderation"),
    path(
        C + "moderation/items/<str:kind>/<uuid:object_id>/",
        moderation_views.item_moderate,
        name="item_moderate",
    ),
    path(
        C + "moderation/members/<uuid:user_id>/",
        moderation_views.member_moderate,
        name="member_moderate",
    ),
    path(C + "moderation/moderators/", moderation_views.moderator_name, name="moderator_name"),
    path(
        C + "moderation/moderators/<uuid:user_id>/remove/",
        moderation_views.moderator_remove,
        name="moderator_remove",
    ),
    path(
        C + "moderation/slow-mode/<str:kind>/<uuid:target_id>/",
        moderation_views.slow_mode,
        name="slow_mode",
    ),
    path(C + "events/new/", views.event_create, name="event_create"),
    path(C + "events/<uuid:event_id>/", views.event_detail, name="event"),
    path(C + "events/<uuid:event_id>/status/", views.event_status, name="event_status"),
    path(C + "events/<uuid:event_id>/event.ics", views.event_ics, name="event_ics"),
    path(C + "events/<uuid:event_id>/state/", views.event_state, name="event_state"),
    path(C + "events/<uuid:event_id>/messages/", views.event_messages, name="event_messages"),
    path(
        C + "events/<uuid:event_id>/questions/<uuid:message_id>/upvote/",
        views.question_upvote,
        name="question_upvote",
    ),
    path(
        C + "events/<uuid:event_id>/questions/<uuid:message_id>/answer/",
        views.question_answer,
        name="question_answer",
    ),
]
