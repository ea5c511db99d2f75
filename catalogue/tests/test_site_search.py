"""Releases and tracks in the site search (/search/): found by title, artist or track."""

import pytest
from django.urls import reverse
from django.utils import timezone

from artists.tests.factories import ArtistFactory
from catalogue.demo import cover_art
from catalogue.tests.factories import ReleaseFactory, TrackFactory

pytestmark = pytest.mark.django_db


def releases_group(response):
    groups = {group.kind.slug: group for group in response.context["groups"] or []}
    return groups["releases"].results if "releases" in groups else []


def test_a_release_is_found_by_its_title_with_cover_artist_and_link(client):
    artist = ArtistFactory(artist_name="Luna Vega")
    release = ReleaseFactory(
        artist=artist,
        title="Harbour Lights",
        published_at=timezone.now(),
        cover=cover_art("Harbour Lights", ("#123456", "#abcdef")),
    )

    response = client.get(reverse("search"), {"q": "harbour"})

    [result] = releases_group(response)
    assert result.title == "Harbour Lights"
    assert result.url == release.get_absolute_url()
    assert result.detail == "Album by Luna Vega"
    assert f'src="{release.cover.url}"' in response.text
    assert f'href="{release.get_absolute_url()}"' in response.text


def test_a_release_is_found_by_its_artist_and_by_a_track_title(client):
    by_artist = ReleaseFactory(
        artist=ArtistFactory(artist_name="Harbour Band"), title="Blue", published_at=timezone.now()
    )
    by_track = ReleaseFactory(title="Green", published_at=timezone.now())
    TrackFactory(release=by_track, title="Harbour at dawn")
    TrackFactory(release=by_track, title="Something else")

    response = client.get(reverse("search"), {"q": "harbour"})

    found = {result.title: result for result in releases_group(response)}
    assert set(found) == {"Blue", "Green"}
    assert found["Green"].detail.endswith("track “Harbour at dawn”")
    assert found["Blue"].url == by_artist.get_absolute_url()


def test_unpublished_releases_and_removed_artists_are_never_found(client):
    ReleaseFactory(title="Harbour draft")
    gone = ReleaseFactory(title="Harbour gone", published_at=timezone.now())
    gone.artist.removed_at = timezone.now()
    gone.artist.save()

    response = client.get(reverse("search"), {"q": "harbour"})

    assert releases_group(response) == []


def test_the_releases_kind_pages_through_plain_get_and_htmx(client):
    for i in range(3):
        ReleaseFactory(title=f"Harbour {i}", published_at=timezone.now())

    plain = client.get(reverse("search"), {"q": "harbour", "kind": "releases"})
    partial = client.get(
        reverse("search"), {"q": "harbour", "kind": "releases"}, headers={"HX-Request": "true"}
    )

    assert plain.status_code == partial.status_code == 200
    assert "<h1>Releases and tracks</h1>" in plain.text
    assert "<h1>" not in partial.text
    for response in (plain, partial):
        titles = {result.title for result in response.context["page"].object_list}
        assert titles == {"Harbour 0", "Harbour 1", "Harbour 2"}


def test_odd_characters_match_literally(client):
    ReleaseFactory(title="100% Harbour_mix", published_at=timezone.now())
    ReleaseFactory(title="1000 Harbours", published_at=timezone.now())

    response = client.get(reverse("search"), {"q": "100%"})

    assert [r.title for r in releases_group(response)] == ["100% Harbour_mix"]


@pytest.mark.parametrize("size", [1, 8])
def test_the_releases_kind_runs_a_constant_number_of_queries(
    client, django_assert_num_queries, size
):
    for i in range(size):
        release = ReleaseFactory(
            title=f"Harbour {i}",
            published_at=timezone.now(),
            cover=cover_art("Harbour", ("#123456", "#abcdef")),
        )
        TrackFactory(release=release, title=f"Harbour song {i}")
    # the search settings; the page and one row more to know whether a next one exists
    # (covers and artists come with it)
    with django_assert_num_queries(2):
        response = client.get(reverse("search"), {"q": "harbour", "kind": "releases"})

    assert len(response.context["page"].object_list) == size
