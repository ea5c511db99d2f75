"""Follow / Following / Unfollow (issue 22 item 2): a button with the follower count on
artist pages, artist cards, search results and posts; onboarding suggests artists of the
chosen genres."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import UserPreferences
from accounts.tests.factories import GenreFactory, UserFactory, UserPreferencesFactory
from artists.tests.factories import ArtistFactory
from catalogue.models import ReleaseGenre
from catalogue.tests.factories import ReleaseFactory
from content.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def _followers(html: str) -> int:
    return int(re.search(r'follower-count">(\d+) followers?<', html).group(1))


def _follows(user, artist) -> bool:
    preferences = UserPreferences.objects.filter(user=user).first()
    return preferences is not None and artist.pk in preferences.favorite_artists


def test_a_fan_follows_and_unfollows_without_javascript(client):
    artist = ArtistFactory()
    UserPreferencesFactory(favorite_artists=[artist.pk])
    fan = UserFactory()
    client.force_login(fan)
    page_url = artist.get_absolute_url()
    follow_url = reverse("content:artist_follow", args=[artist.pk])

    before = client.get(page_url)
    followed = client.post(follow_url, {"action": "follow", "next": page_url}, follow=True)

    assert _followers(before.text) == 1
    assert ">Follow<" in before.text
    assert followed.redirect_chain[-1][0] == page_url
    assert "You now follow" in followed.text
    assert "Following" in followed.text and "Unfollow" in followed.text
    assert _followers(followed.text) == 2
    assert _follows(fan, artist)

    unfollowed = client.post(follow_url, {"action": "unfollow", "next": page_url}, follow=True)

    assert _followers(unfollowed.text) == 1
    assert not _follows(fan, artist)


def test_htmx_swaps_the_button_and_its_count_in_place(client):
    artist = ArtistFactory(artist_name="Luna Vega")
    client.force_login(UserFactory())
    follow_url = reverse("content:artist_follow", args=[artist.pk])

    followed = client.post(follow_url, {"action": "follow"}, HTTP_HX_REQUEST="true")
    unfollowed = client.post(follow_url, {"action": "unfollow"}, HTTP_HX_REQUEST="true")

    assert followed.status_code == 200
    assert "<html" not in followed.text
    assert "Following" in followed.text
    assert 'Unfollow<span class="visually-hidden"> Luna Vega' in followed.text
    assert _followers(followed.text) == 1
    assert "Following" not in unfollowed.text
    assert _followers(unfollowed.text) == 0


def test_following_twice_counts_once(client):
    artist = ArtistFactory()
    client.force_login(UserFactory())
    follow_url = reverse("content:artist_follow", args=[artist.pk])

    client.post(follow_url, {"action": "follow"})
    again = client.post(follow_url, {"action": "follow"}, HTTP_HX_REQUEST="true")

    assert _followers(again.text) == 1


def test_a_signed_out_visitor_is_sent_to_sign_in_to_follow(client):
    artist = ArtistFactory()

    page = client.get(artist.get_absolute_url())

    assert f'href="{reverse("account_login")}?next=' in page.text
    assert _followers(page.text) == 0


def test_the_button_is_on_cards_search_results_and_posts(client):
    artist = ArtistFactory(artist_name="Harbour Lights", featured=True)
    post = PostFactory(artist=artist)
    fan = UserFactory()
    UserPreferencesFactory(user=fan, favorite_artists=[artist.pk])
    client.force_login(fan)
    follow_url = reverse("content:artist_follow", args=[artist.pk])

    pages = {
        "explore": client.get(reverse("content:explore")),
        "home": client.get("/"),
        "search": client.get("/search/", {"q": "Harbour Lights"}),
        "post": client.get(post.get_absolute_url()),
    }

    for name, page in pages.items():
        assert f'action="{follow_url}"' in page.text, name
        assert "Following" in page.text, name
        assert _followers(page.text) == 1, name


def test_onboarding_suggests_artists_of_the_chosen_genres(client):
    jazz = GenreFactory(name="Jazz")
    in_jazz = ArtistFactory(artist_name="Blue Hour")
    ReleaseGenre.objects.create(
        release=ReleaseFactory(artist=in_jazz, published_at=timezone.now()), genre=jazz
    )
    ArtistFactory(artist_name="Someone Featured", featured=True)
    fan = UserFactory()
    client.force_login(fan)

    saved = client.post(reverse("accounts:onboarding"), {"genres": [jazz.pk]})
    suggestions = client.get(saved.url)

    assert saved.url == reverse("accounts:onboarding_artists")
    names = re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', suggestions.text)
    assert names[0] == "Blue Hour"
    client.post(reverse("content:artist_follow", args=[in_jazz.pk]), {"action": "follow"})
    assert _follows(fan, in_jazz)


@pytest.mark.parametrize("artists", [1, 6])
def test_the_onboarding_suggestions_run_the_same_queries_however_many(
    client, django_assert_num_queries, artists
):
    for _ in range(artists):
        ArtistFactory()
    client.force_login(UserFactory())
    client.get("/")  # the signed-in user and the header's unread count are cached from here on

    # the fan's genres; the suggestions; the Follow buttons' counts
    with django_assert_num_queries(3):
        page = client.get(reverse("accounts:onboarding_artists"))

    assert page.text.count("follower-count") == artists


def test_an_empty_feed_suggests_artists_of_the_fans_genres_first(client):
    jazz = GenreFactory()
    in_jazz = ArtistFactory(artist_name="Zed Quartet")
    ReleaseGenre.objects.create(
        release=ReleaseFactory(artist=in_jazz, published_at=timezone.now()), genre=jazz
    )
    ArtistFactory(artist_name="Aardvark", featured=True)
    fan = UserFactory()
    UserPreferencesFactory(user=fan, genres=[jazz.pk])
    client.force_login(fan)

    feed = client.get(reverse("content:feed"))

    names = re.findall(r'<h3><a href="[^"]+">([^<]+)</a>', feed.text)
    assert names[:2] == ["Zed Quartet", "Aardvark"]


def test_a_follow_shows_in_the_count_another_fan_sees_at_once(
    client, django_capture_on_commit_callbacks
):
    """Follower counts are kept in Redis (counting an artist's followers grows with the
    audience); a follow and an unfollow forget the kept count, for every viewer."""
    artist = ArtistFactory()
    UserPreferencesFactory(favorite_artists=[artist.pk])
    other_fan = UserFactory()
    fan = UserFactory()
    follow_url = reverse("content:artist_follow", args=[artist.pk])
    client.force_login(other_fan)
    assert _followers(client.get(artist.get_absolute_url()).text) == 1  # now kept

    client.force_login(fan)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(follow_url, {"action": "follow"})
    client.force_login(other_fan)
    after_follow = _followers(client.get(artist.get_absolute_url()).text)
    client.force_login(fan)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(follow_url, {"action": "unfollow"})
    client.force_login(other_fan)
    after_unfollow = _followers(client.get(artist.get_absolute_url()).text)

    assert (after_follow, after_unfollow) == (2, 1)


def test_a_kept_follower_count_is_not_counted_again():
    """What keeping the count saves: a follower added behind the services' back (as the
    admin or an account deletion would) shows only once the kept count expires."""
    from django.core.cache import cache

    from accounts.selectors import follow_states
    from accounts.services import follower_count_key

    artist = ArtistFactory()
    UserPreferencesFactory(favorite_artists=[artist.pk])
    viewer = UserFactory()

    first = follow_states(viewer=viewer, artist_ids=[artist.pk])
    UserPreferencesFactory(favorite_artists=[artist.pk])
    kept = follow_states(viewer=viewer, artist_ids=[artist.pk])
    cache.delete(follower_count_key(artist.pk))
    counted_again = follow_states(viewer=viewer, artist_ids=[artist.pk])

    assert [s[artist.pk].followers for s in (first, kept, counted_again)] == [1, 1, 2]


def test_new_preferences_forget_the_counts_of_the_artists_added_and_dropped():
    from accounts.selectors import follow_states
    from accounts.services import preferences_set

    kept, dropped, added = ArtistFactory(), ArtistFactory(), ArtistFactory()
    fan = UserFactory()
    UserPreferencesFactory(user=fan, favorite_artists=[kept.pk, dropped.pk])
    ids = [kept.pk, dropped.pk, added.pk]
    before = follow_states(viewer=None, artist_ids=ids)

    preferences_set(user=fan, genre_ids=[], language_ids=[], artist_ids=[kept.pk, added.pk])
    after = follow_states(viewer=None, artist_ids=ids)

    assert [before[pk].followers for pk in ids] == [1, 1, 0]
    assert [after[pk].followers for pk in ids] == [1, 0, 1]
