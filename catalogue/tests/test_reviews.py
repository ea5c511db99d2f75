"""Reviews of releases and tracks here: picked from the catalogue (as the fan types, or by
a plain GET without JavaScript), once per fan, and shown on the release's page."""

import pytest
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from catalogue.tests.factories import ReleaseFactory, TrackFactory
from content.models import Review
from content.tests.factories import ReviewFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def release():
    return ReleaseFactory(
        title="Harbour Lights",
        artist=ArtistFactory(artist_name="Luna Vega"),
        published_at=timezone.now(),
    )


def _review(item: str, **overrides) -> dict:
    return {
        "item": item,
        "title": "A calm record",
        "text_content": "Every track earns its place.",
        "rating": "5",
        **overrides,
    }


def test_the_fan_finds_a_release_and_its_tracks_as_they_type(client, release):
    TrackFactory(release=release, title="Harbour at dawn")
    ReleaseFactory(title="Harbour draft")  # not published: never offered
    client.force_login(UserFactory())

    partial = client.get(reverse("content:review_create"), {"find": "harbour"}, headers=HTMX)

    assert partial.status_code == 200
    assert "<h1>" not in partial.text
    assert f'value="album:{release.pk}"' in partial.text
    assert "Album: Harbour Lights by Luna Vega" in partial.text
    assert "Song: Harbour at dawn by Luna Vega (on Harbour Lights)" in partial.text
    assert "Harbour draft" not in partial.text


def test_without_javascript_the_find_form_lists_the_items_in_the_review_form(client, release):
    client.force_login(UserFactory())

    page = client.get(reverse("content:review_create"), {"find": "luna"})

    assert page.status_code == 200
    assert "<h1>Write a review</h1>" in page.text
    assert f'value="album:{release.pk}"' in page.text
    assert 'type="radio" name="item"' in page.text


def test_nothing_found_says_so_and_odd_input_gets_a_message(client, release):
    client.force_login(UserFactory())

    nothing = client.get(reverse("content:review_create"), {"find": "zzz"}, headers=HTMX)
    long = client.get(reverse("content:review_create"), {"find": "x" * 101})
    nul = client.get(reverse("content:review_create"), {"find": "a\x00b"})

    assert "Nothing here matches “zzz”" in nothing.text
    assert long.status_code == 200
    assert "Ensure this value has at most 100 characters" in long.text
    assert nul.status_code == 400
    assert "holds a control character" in nul.text


def test_a_fan_reviews_a_release_picked_from_the_catalogue(client, release):
    client.force_login(UserFactory())

    response = client.post(reverse("content:review_create"), _review(f"album:{release.pk}"))

    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.content_type, review.content_id) == ("album", str(release.pk))
    assert (review.content_name, review.artist, review.artist_name) == (
        "Harbour Lights",
        release.artist,
        "Luna Vega",
    )


def test_a_fan_reviews_a_track_as_a_song(client, release):
    track = TrackFactory(release=release, title="Harbour at dawn")
    client.force_login(UserFactory())

    client.post(reverse("content:review_create"), _review(f"song:{track.pk}"))

    review = Review.objects.get()
    assert (review.content_type, review.content_id, review.content_name) == (
        "song",
        str(track.pk),
        "Harbour at dawn",
    )


def test_the_release_pages_link_preselects_the_release(client, release):
    client.force_login(UserFactory())

    page = client.get(reverse("content:review_create"), {"item": f"album:{release.pk}"})

    assert f'value="album:{release.pk}" id="id_item_0" checked' in page.text


def test_a_fan_reviews_a_catalogue_item_once_with_a_clear_message(client, release):
    client.force_login(UserFactory())

    client.post(reverse("content:review_create"), _review(f"album:{release.pk}"))
    again = client.post(reverse("content:review_create"), _review(f"album:{release.pk}"))

    assert again.status_code == 400
    assert "You have already reviewed this album; edit your review instead." in again.text
    assert Review.objects.count() == 1


def test_the_database_refuses_a_second_review_of_one_item_by_one_fan(release):
    fan = UserFactory()
    ReviewFactory(user=fan, content_type="album", content_id=str(release.pk))

    with pytest.raises(IntegrityError):
        ReviewFactory(user=fan, content_type="album", content_id=str(release.pk))


def test_an_id_of_a_release_here_typed_by_hand_is_named_by_the_catalogue(client, release):
    client.force_login(UserFactory())

    client.post(
        reverse("content:review_create"),
        _review(
            "",
            content_type="album",
            content_id=str(release.pk).upper(),
            content_name="Something else",
            artist_name="Someone else",
        ),
    )

    review = Review.objects.get()
    assert (review.content_id, review.content_name, review.artist) == (
        str(release.pk),
        "Harbour Lights",
        release.artist,
    )


def test_an_unknown_or_unpublished_item_gets_a_message_and_saves_nothing(client, release):
    draft = ReleaseFactory(title="Draft")
    client.force_login(UserFactory())

    for item in [f"album:{draft.pk}", "album:not-an-id", f"song:{release.pk}", "single:x"]:
        response = client.post(reverse("content:review_create"), _review(item))
        assert response.status_code == 400
        assert "That album or song is not on the platform" in response.text
    assert not Review.objects.exists()


def test_an_item_not_on_the_platform_still_needs_its_id_name_and_artist(client):
    client.force_login(UserFactory())

    response = client.post(reverse("content:review_create"), _review("", content_type="album"))

    assert response.status_code == 400
    assert "Give its catalogue id, or find it on the platform." in response.text
    assert "Give its title, or find it on the platform." in response.text
    assert not Review.objects.exists()


def test_an_artist_cannot_review_their_own_release(client, release):
    client.force_login(release.artist.user)

    response = client.post(reverse("content:review_create"), _review(f"album:{release.pk}"))

    assert response.status_code == 400
    assert "You cannot review your own album." in response.text


def test_the_release_page_shows_its_reviews_and_average(client, release):
    ReviewFactory(content_id=str(release.pk), content_name=release.title, title="Lovely", rating=5)
    ReviewFactory(content_id=str(release.pk), content_name=release.title, title="Meh", rating=2)
    ReviewFactory(content_id="elsewhere", title="Of something else", rating=1)
    fan = UserFactory()
    client.force_login(fan)

    page = client.get(release.get_absolute_url())

    assert "<strong>3.5</strong> / 5 from 2 reviews" in page.text
    assert "Lovely" in page.text and "Meh" in page.text
    assert "Of something else" not in page.text
    assert f"?item=album:{release.pk}" in page.text  # Review it
    assert reverse("content:reviewed_item", args=["album", release.pk]) in page.text

    own = ReviewFactory(user=fan, content_id=str(release.pk), rating=4)
    page = client.get(release.get_absolute_url())
    assert reverse("content:review_edit", args=[own.pk]) in page.text
    assert f"?item=album:{release.pk}" not in page.text
