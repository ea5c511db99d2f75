"""Names are one line (docs/security.md, section 9): every form field that takes a name or
a title refuses line breaks and control characters, and so do the services behind them."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.forms import ProfileForm, SignupForm
from accounts.tests.factories import UserFactory
from artists import services as artist_services
from artists.forms import ArtistProfileForm
from artists.models import Artist
from communities import forms as community_forms
from communities.services.forums import forum_create
from communities.tests.factories import CommunityFactory
from content.forms import ReviewForm
from musicplatform.forms import NameField
from musicplatform.validators import one_line, validate_single_line
from shop.forms import CheckoutForm, ProductForm

BREAKING = ["Nova\nBcc: x@example.com", "Nova\r", "No\x00va", "Nova\u2028", "\u202etxt.exe", "a\tb"]
FINE = ["Nova", "Sigur Rós", "AC/DC", "🎸 Band", "Guns N' Roses"]

NAME_FIELDS = [
    (ArtistProfileForm, "artist_name"),
    (community_forms.CommunityForm, "name"),
    (community_forms.ForumForm, "name"),
    (community_forms.ForumPostForm, "title"),
    (community_forms.ForumPostEditForm, "title"),
    (community_forms.LiveEventForm, "title"),
    (ProductForm, "name"),
    (CheckoutForm, "name"),
    (ReviewForm, "title"),
    (ReviewForm, "content_name"),
    (ReviewForm, "artist_name"),
    (SignupForm, "full_name"),
    (ProfileForm, "full_name"),
]


@pytest.mark.parametrize("value", BREAKING)
def test_a_name_with_a_line_break_or_control_character_is_refused(value):
    with pytest.raises(ValidationError, match="one line of text"):
        validate_single_line(value)


@pytest.mark.parametrize("value", FINE)
def test_ordinary_names_in_any_script_are_taken(value):
    validate_single_line(value)
    assert one_line(value) == value


@pytest.mark.parametrize(("form", "name"), NAME_FIELDS, ids=lambda x: getattr(x, "__name__", x))
def test_every_name_field_is_single_line(form, name):
    field = form.base_fields[name]
    assert isinstance(field, NameField)
    with pytest.raises(ValidationError, match="one line of text"):
        field.clean("Nova\nBcc: x@example.com")


@pytest.mark.django_db
def test_the_services_refuse_a_multi_line_name_too():
    user = UserFactory()
    with pytest.raises(ValidationError, match="one line of text"):
        artist_services.artist_create(user=user, artist_name="Nova\nBcc: x@example.com")
    community = CommunityFactory()
    with pytest.raises(ValidationError, match="one line of text"):
        forum_create(
            community=community,
            by=community.artist.user,
            name="Talk\r\nX-Header: 1",
            forum_type="all_chat",
        )


@pytest.mark.django_db
def test_a_multi_line_artist_name_is_refused_with_a_message_on_the_page(client):
    client.force_login(UserFactory())
    response = client.post(reverse("artists:become"), {"artist_name": "Nova\nBcc: x@example.com"})

    assert response.status_code in (200, 400)
    assert "one line of text" in response.content.decode()
    assert not Artist.objects.exists()
