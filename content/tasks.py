from content import services
from musicplatform.tasks import platform_task


@platform_task
def post_published_notify(post_id: str) -> int:
    return services.post_audience_notify(post_id=post_id)


@platform_task
def posts_announce_sweep() -> int:
    """Beat: announce the posts whose fan-out task was lost."""
    return services.posts_announce_sweep()


@platform_task
def share_links_purge() -> int:
    return services.share_links_purge()
