"""Background work of the catalogue. Tasks take ids, call a service and are safe to run twice."""

from musicplatform.tasks import platform_task


@platform_task
def track_process(track_id: str) -> None:
    """Transcode an uploaded track into its stream, preview and download files."""
    from catalogue.services import track_process as process

    process(track_id=track_id)


@platform_task
def plays_flush() -> int:
    """Beat: add the plays counted in Redis to the tracks' `play_count`."""
    from catalogue.plays import plays_flush as flush

    return flush()
