"""What fans, artists and staff see and do on the artist pages."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.files.storage import storages
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists import services, uploads
from artists.models import Artist, ArtistVerification
from artists.tests.factories import (
    ArtistFactory,
    ArtistVerificationFactory,
    image_upload,
    pdf_upload,
)
from catalogue.tests.factories import ReleaseFactory
from communities.models import Community
from communities.services.listing import member_counts_refresh
from communities.tests.factories import CommunityFactory, CommunitySubscriptionFactory
from content.models import Post, Review
from shop.models import Product

pytestmark = pytest.mark.django_db


def fill_artist_page(artist, n: int) -> None:
    fan = UserFactory()
    for i in range(n):
        Post.objects.create(artist=artist, content_text=f"Studio diary {i}")
        Community.objects.create(
            artist=artist,
            name=f"Inner circle {i}",
            subscription_fee=Decimal("4.99"),
            subscription_interval="yearly" if i % 2 else "monthly",
        )
        Product.objects.create(
            artist=artist, name=f"Vinyl {i}", product_type="merchandise", price=Decimal("25.00")
        )
        ReleaseFactory(artist=artist, published_at=timezone.now())
        Review.objects.create(
            user=fan,
            content_type="album",
            content_id=f"album-{i}",
            artist=artist,
            content_name=f"Album {i}",
            title=f"Review {i}",
            text_content="Lovely.",
            rating=4 if i % 2 else 5,
        )


# Becoming an artist


def test_a_signed_in_user_becomes_an_artist(client):
    user = UserFactory()
    client.force_login(user)

    response = client.post(
        reverse("artists:become"),
        {
            "artist_name": "  Nova Lights ",
            "bio": "Synth duo from Lyon.",
            "profile_picture": image_upload(size=(900, 700)),
            "cover_photo": image_upload("cover.jpg", size=(2000, 900), image_format="JPEG"),
        },
    )

    artist = Artist.objects.get(user=user)
    assert response.status_code == 302
    assert response["Location"] == artist.get_absolute_url()
    assert artist.artist_name == "Nova Lights"
    user.refresh_from_db()
    assert user.is_artist
    page = client.get(response["Location"])
    assert "Nova Lights" in page.text
    assert artist.cover_photo_url in page.text
    assert "Synth duo from Lyon." in page.text


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"artist_name": "   "}, "artist_name", "required"),
        (
            {"artist_name": "Nova", "profile_picture": pdf_upload("me.png")},
            "profile_picture",
            "is not a JPEG, PNG, GIF or WebP picture",
        ),
        (
            {
                "artist_name": "Nova",
                "cover_photo": pdf_upload(
                    "cover.png", size=settings.PICTURE_UPLOADS["cover"]["max_bytes"] + 1
                ),
            },
            "cover_photo",
            "larger than 5 MB",
        ),
    ],
)
def test_bad_profile_input_is_explained_and_nothing_is_stored(client, data, field, message):
    user = UserFactory()
    client.force_login(user)

    response = client.post(reverse("artists:become"), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Artist.objects.exists()
    user.refresh_from_db()
    assert not user.is_artist


def test_an_existing_artist_is_sent_to_edit_instead_of_creating_another(owner_client, artist):
    response = owner_client.get(reverse("artists:become"))

    assert response["Location"] == reverse("artists:edit", args=(artist.pk,))


def test_anonymous_visitors_must_log_in_to_become_an_artist(client):
    response = client.get(reverse("artists:become"))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_my_artist_page_link_leads_to_the_own_page(owner_client, artist):
    assert owner_client.get(reverse("artists:mine"))["Location"] == artist.get_absolute_url()
    assert "My artist page" in owner_client.get(reverse("home")).text


# Editing


def test_the_artist_edits_their_profile(owner_client, artist):
    response = owner_client.post(
        reverse("artists:edit", args=(artist.pk,)),
        {"artist_name": "Nova Lights (live)", "bio": "Now a trio."},
    )

    artist.refresh_from_db()
    assert response.status_code == 302
    assert (artist.artist_name, artist.bio) == ("Nova Lights (live)", "Now a trio.")


def test_staff_can_edit_an_artist(staff_client, artist):
    response = staff_client.post(
        reverse("artists:edit", args=(artist.pk,)), {"artist_name": "Fixed typo"}
    )

    artist.refresh_from_db()
    assert response.status_code == 302
    assert artist.artist_name == "Fixed typo"


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_user_cannot_edit_and_learns_nothing(other_client, artist, method):
    name = artist.artist_name

    response = getattr(other_client, method)(
        reverse("artists:edit", args=(artist.pk,)), {"artist_name": "Hijacked"}
    )

    artist.refresh_from_db()
    assert response.status_code == 404
    assert artist.artist_name == name


# The public page


def test_the_page_shows_everything_about_the_artist(client):
    artist = ArtistFactory(verified=True, artist_name="Nova Lights")
    fill_artist_page(artist, 2)
    Post.objects.create(artist=artist, content_text="Deleted post", deleted_at="2026-01-01T00:00Z")

    page = client.get(artist.get_absolute_url()).text

    assert "✓ Verified" in page
    assert "Studio diary 1" in page
    assert "Deleted post" not in page
    assert "Inner circle 0" in page
    assert "$4.99 / monthly" in page
    assert "$4.99 / yearly" in page
    assert "Vinyl 1" in page
    assert "$25.00" in page
    assert "Review 0" in page
    assert "★ 4.5 average from 2 reviews" in page
    assert "Edit profile" not in page
    post = Post.objects.filter(artist=artist, deleted_at=None).first()
    community = Community.objects.filter(artist=artist).first()
    product = Product.objects.filter(artist=artist).first()
    for linked in (post, community, product):
        assert f'href="{linked.get_absolute_url()}"' in page


def test_the_header_counts_members_and_invites_a_fan_to_join_and_follow(client):
    artist = ArtistFactory(verified=True)
    first, second = (
        CommunityFactory(artist=artist, name="A circle"),
        CommunityFactory(artist=artist, name="B circle"),
    )
    CommunitySubscriptionFactory.create_batch(2, community=first)
    CommunitySubscriptionFactory(community=second)
    member_counts_refresh()
    client.force_login(UserFactory())

    page = client.get(artist.get_absolute_url()).text

    assert "3 members in 2 communities" in page
    assert f'<a class="button" href="{first.get_absolute_url()}">Join A circle</a>' in page
    assert f'action="{reverse("content:artist_follow", args=[artist.pk])}"' in page


def test_the_owner_is_not_invited_to_join_or_follow_their_own_page(owner_client, artist):
    CommunityFactory(artist=artist, name="A circle")

    page = owner_client.get(artist.get_absolute_url()).text

    assert "Join A circle" not in page
    assert reverse("content:artist_follow", args=[artist.pk]) not in page


def test_the_owner_sees_the_management_links(owner_client, artist):
    page = owner_client.get(artist.get_absolute_url()).text

    assert "Edit profile" in page
    assert "Payout methods" in page
    assert f'href="{reverse("artists:dashboard", args=[artist.pk])}"' in page


def test_an_empty_artist_page_shows_its_owner_the_next_step_and_visitors_none(
    client, owner_client, artist
):
    own = owner_client.get(artist.get_absolute_url()).text
    client.logout()
    visitor = client.get(artist.get_absolute_url()).text

    assert "No posts yet." in own and "No posts yet." in visitor
    for next_step in (reverse("content:post_create"), reverse("communities:create")):
        assert f'href="{next_step}"' in own
        assert f'href="{next_step}"' not in visitor


def test_an_unverified_artist_has_no_badge_and_an_empty_page_says_so(client, artist):
    page = client.get(artist.get_absolute_url()).text

    assert "✓ Verified" not in page
    assert "No posts yet." in page
    assert "No reviews yet." in page


def test_the_url_is_readable_and_old_or_bare_urls_redirect_to_it(client):
    artist = ArtistFactory(artist_name="Nova Lights & Co")

    assert artist.get_absolute_url() == f"/artists/{artist.pk}-nova-lights-co/"
    for url in (f"/artists/{artist.pk}/", f"/artists/{artist.pk}-old-name/"):
        response = client.get(url)
        assert response.status_code == 301
        assert response["Location"] == artist.get_absolute_url()


def test_an_unknown_artist_is_not_found(client):
    assert client.get("/artists/00000000-0000-4000-8000-000000000000-nobody/").status_code == 404


def test_the_page_runs_the_same_queries_whatever_the_data_size(client, django_assert_num_queries):
    small, large = ArtistFactory(), ArtistFactory()
    fill_artist_page(small, 1)
    fill_artist_page(large, 12)

    # the artist, its posts, communities, releases, products, reviews, the rating and the
    # Follow button's count
    for artist in (small, large):
        with django_assert_num_queries(8):
            assert client.get(artist.get_absolute_url()).status_code == 200


# Search


def test_search_finds_names_case_insensitively_prefix_matches_first(client):
    ArtistFactory(artist_name="The Nova Collective")
    ArtistFactory(artist_name="Nova Lights")
    ArtistFactory(artist_name="Moonrise")

    response = client.get(reverse("artists:search"), {"q": "NOVA"})

    names = [result.title for result in response.context["page"].object_list]
    assert names == ["Nova Lights", "The Nova Collective"]


def test_search_pages_through_many_results(client, django_assert_num_queries):
    for i in range(45):
        ArtistFactory(artist_name=f"Echo {i:02d}")

    # pg_trgm's threshold, the page and one row more (no count), the Follow buttons' counts
    with django_assert_num_queries(3):
        first = client.get(reverse("artists:search"), {"q": "echo"})
    last = client.get(reverse("artists:search"), {"q": "echo", "page": "3"})
    beyond = client.get(reverse("artists:search"), {"q": "echo", "page": "abc"})

    assert len(first.context["page"].object_list) == 20
    assert "page=2" in first.text
    assert [result.title for result in last.context["page"].object_list] == [
        "Echo 40",
        "Echo 41",
        "Echo 42",
        "Echo 43",
        "Echo 44",
    ]
    assert beyond.context["page"].number == 1


@pytest.mark.parametrize(
    "query", ["midnite echos", "The Midnght Echoes", "midnight echoe", "ECHOES MIDNIGHT", "midn"]
)
def test_search_tolerates_typos_word_order_and_half_typed_words(client, query):
    ArtistFactory(artist_name="The Midnight Echoes")
    ArtistFactory(artist_name="Midnight Oil Tribute")
    ArtistFactory(artist_name="Sunrise Choir")

    response = client.get(reverse("artists:search"), {"q": query})

    names = [result.title for result in response.context["page"].object_list]
    assert names[0] in {"The Midnight Echoes", "Midnight Oil Tribute"}
    assert "The Midnight Echoes" in names
    assert "Sunrise Choir" not in names


def test_the_closest_name_comes_first(client):
    ArtistFactory(artist_name="Midnight Oil Tribute")
    ArtistFactory(artist_name="The Midnight Echoes")

    response = client.get(reverse("artists:search"), {"q": "midnite echos"})

    assert [result.title for result in response.context["page"].object_list] == [
        "The Midnight Echoes"
    ]


def test_a_typo_is_found_among_many_names_sharing_a_common_word(client):
    for i in range(60):
        ArtistFactory(artist_name=f"The Band {i}")
    ArtistFactory(artist_name="The Velvet Horizon")
    with connection.cursor() as cursor:
        # Statistics tell search which trigrams ("the") are too common to look names up by.
        cursor.execute("ANALYZE artists")

    response = client.get(reverse("artists:search"), {"q": "the velvet horzon"})

    names = [result.title for result in response.context["page"].object_list]
    assert names[0] == "The Velvet Horizon"


def test_a_long_list_of_exact_matches_is_in_name_order(client):
    for name in ["Echo Zulu", "Echo Alpha", *(f"Echo Mid {i}" for i in range(20))]:
        ArtistFactory(artist_name=name)

    response = client.get(reverse("artists:search"), {"q": "echo"})

    assert response.context["page"].object_list[0].title == "Echo Alpha"
    assert "Echo Zulu" not in response.text


@pytest.mark.parametrize("query", ["!!!", "é", "a"])
def test_odd_queries_answer_without_error(client, query):
    ArtistFactory(artist_name="Aurora")

    assert client.get(reverse("artists:search"), {"q": query}).status_code == 200


def test_search_says_when_nothing_matches(client):
    response = client.get(reverse("artists:search"), {"q": "zzzz"})

    assert "No artists match “zzzz”." in response.text


def test_htmx_search_returns_only_the_results(client):
    ArtistFactory(artist_name="Nova Lights")

    response = client.get(reverse("artists:search"), {"q": "nova"}, headers={"HX-Request": "true"})

    assert "Nova Lights" in response.text
    assert "<html" not in response.text


def test_an_overlong_query_is_explained_not_crashed_on(client):
    response = client.get(reverse("artists:search"), {"q": "x" * 500})

    assert response.status_code == 200
    assert "at most 100 characters" in response.text


# Verification by the artist


def test_the_artist_sends_documents_for_verification(owner_client, artist):
    response = owner_client.post(
        reverse("artists:verification", args=(artist.pk,)),
        {
            "documents": [pdf_upload("passport.pdf"), image_upload("contract.png")],
            "third_party_platform": "viberate",
            "third_party_id": "vb-77",
        },
    )

    assert response.status_code == 302
    verification = ArtistVerification.objects.get(artist=artist)
    assert len(verification.verification_document_urls) == 2
    page = owner_client.get(response["Location"]).text
    assert "waiting for staff" in page
    assert "2 documents" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "documents", "Add at least one document"),
        (
            {"documents": [pdf_upload(size=uploads.MAX_DOCUMENT_BYTES + 1)]},
            "documents",
            "larger than 10",
        ),
        ({"documents": [pdf_upload(f"{i}.pdf") for i in range(6)]}, "documents", "at most 5"),
        (
            {"documents": [pdf_upload()], "third_party_platform": "chartmetric"},
            "third_party_id",
            "Enter your id",
        ),
        (
            {"documents": [pdf_upload()], "third_party_platform": "myspace"},
            "third_party_platform",
            "Select a valid choice",
        ),
    ],
)
def test_bad_verification_input_is_explained_and_nothing_is_stored(
    owner_client, artist, data, field, message
):
    response = owner_client.post(reverse("artists:verification", args=(artist.pk,)), data)

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not ArtistVerification.objects.exists()


def test_another_user_cannot_see_or_use_the_verification_page(other_client, artist):
    url = reverse("artists:verification", args=(artist.pk,))

    assert other_client.get(url).status_code == 404
    assert other_client.post(url, {"documents": [pdf_upload()]}).status_code == 404
    assert not ArtistVerification.objects.exists()


def _submitted(artist) -> ArtistVerification:
    name = storages["private"].save("artist-verification/test/doc.pdf", pdf_upload())
    return ArtistVerificationFactory(artist=artist, verification_document_urls=[name])


def test_staff_download_a_verification_document(staff_client, artist):
    verification = _submitted(artist)

    response = staff_client.get(reverse("artists:verification_document", args=(verification.pk, 0)))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("who", ["owner", "other"])
def test_only_staff_can_open_verification_documents(client, artist, who):
    verification = _submitted(artist)
    client.force_login(artist.user if who == "owner" else UserFactory())

    response = client.get(reverse("artists:verification_document", args=(verification.pk, 0)))

    assert response.status_code == 404


def test_a_document_index_out_of_range_is_not_found(staff_client, artist):
    verification = _submitted(artist)

    response = staff_client.get(reverse("artists:verification_document", args=(verification.pk, 5)))

    assert response.status_code == 404


def test_a_rejected_artist_sees_the_note_and_can_send_again(owner_client, artist, staff_user):
    verification = ArtistVerificationFactory(artist=artist)
    services.artist_verification_decide(
        verification=verification, approve=False, notes="The ID is unreadable.", by=staff_user
    )

    page = owner_client.get(reverse("artists:verification", args=(artist.pk,))).text

    assert "Note from staff: The ID is unreadable." in page
    assert "Send for review" in page
