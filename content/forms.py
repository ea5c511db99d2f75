from datetime import timedelta

from django import forms

from accounts.models import Language
from artists.models import Artist
from catalogue.selectors import CatalogueItem, catalogue_item_by_key
from communities.models import Community
from content.models import PostAudience, ReviewedContentType
from content.services import COMMENT_MAX_LENGTH, POST_MAX_LENGTH, REVIEW_MAX_LENGTH
from musicplatform.forms import MultipleFileField, MultipleFileInput, NameField


def language_field() -> forms.ModelChoiceField:
    """What a post or review is written in: search then finds its words in other forms
    ("songs" for "song") in that language."""
    return forms.ModelChoiceField(
        label="Written in",
        queryset=Language.objects.all(),
        required=False,
        empty_label="Not said",
        help_text="Search then also finds other forms of its words.",
    )


class PostForm(forms.Form):
    artist = forms.ModelChoiceField(queryset=Artist.objects.none(), empty_label=None)
    content_text = forms.CharField(
        label="What's new?",
        required=False,
        max_length=POST_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    media = MultipleFileField(
        label="Pictures (up to 4), or one audio file, or one video",
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*,audio/*,video/*"}),
    )

    audience = forms.ChoiceField(
        label="Who can read it",
        choices=PostAudience.choices,
        # Left out (an older form, a script): public on a new post, unchanged on an edit.
        required=False,
        initial=PostAudience.PUBLIC,
        widget=forms.RadioSelect,
    )
    communities = forms.ModelMultipleChoiceField(
        label="Members of",
        queryset=Community.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="For members-only posts: everyone else sees the first line and a blurred "
        "picture, with a link to join.",
    )
    language = language_field()

    def __init__(self, *args, artists, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["artist"].queryset = artists
        self.fields["communities"].queryset = Community.objects.filter(artist__in=artists).order_by(
            "name"
        )
        if len(artists) == 1:
            self.fields["artist"].widget = forms.HiddenInput()
            self.fields["artist"].initial = artists[0].pk


class PostEditForm(forms.Form):
    content_text = PostForm.base_fields["content_text"]
    media = MultipleFileField(
        label="Replace the media with",
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*,audio/*,video/*"}),
    )
    remove_media = forms.BooleanField(label="Remove the current media", required=False)
    audience = PostForm.base_fields["audience"]
    communities = PostForm.base_fields["communities"]
    language = language_field()

    def __init__(self, *args, artist, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["communities"].queryset = Community.objects.filter(artist=artist).order_by(
            "name"
        )


class CommentForm(forms.Form):
    content = forms.CharField(
        label="Comment",
        max_length=COMMENT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_LENGTH}),
        error_messages={"required": "Write something before sending your comment."},
    )
    parent = forms.UUIDField(required=False, widget=forms.HiddenInput())


class CommentEditForm(forms.Form):
    content = CommentForm.base_fields["content"]


class LikeForm(forms.Form):
    liked = forms.TypedChoiceField(
        choices=[("1", "like"), ("0", "unlike")], coerce=lambda value: value == "1"
    )


EXPIRY_CHOICES = [("", "Never"), ("1", "In a day"), ("7", "In a week"), ("30", "In 30 days")]


class ShareLinkForm(forms.Form):
    expires_in_days = forms.TypedChoiceField(
        label="Link expires",
        choices=EXPIRY_CHOICES,
        required=False,
        coerce=lambda days: timedelta(days=int(days)),
        empty_value=None,
    )


class ReviewFieldsForm(forms.Form):
    title = NameField(max_length=255)
    text_content = forms.CharField(
        label="Your review", max_length=REVIEW_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 8})
    )
    rating = forms.TypedChoiceField(
        choices=[(n, f"{n} star{'s' if n > 1 else ''}") for n in range(5, 0, -1)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "A rating is from 1 to 5 stars."},
    )
    language = language_field()


class ReviewItemSearchForm(forms.Form):
    """What to look for among the releases and tracks here, to pick one to review."""

    find = forms.CharField(label="Find the album or song on the platform", max_length=100)


class ReviewForm(ReviewFieldsForm):
    # A release or track here ("album:<id>", "song:<id>": CatalogueItem.key), chosen
    # among those found; empty for music not on the platform, named by the fields below.
    item = forms.CharField(label="On the platform", required=False, widget=forms.RadioSelect)
    content_type = forms.ChoiceField(label="Reviewing a", choices=ReviewedContentType.choices)
    content_id = forms.CharField(
        label="Catalogue id",
        max_length=255,
        required=False,
        help_text="e.g. the Spotify id of the album or song",
    )
    content_name = NameField(label="Album or song title", max_length=255, required=False)
    artist = forms.UUIDField(required=False, widget=forms.HiddenInput())
    artist_name = NameField(label="Artist", max_length=255, required=False)
    images = MultipleFileField(
        label="Pictures (up to 4)",
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*"}),
    )
    field_order = ["item", "content_type", "content_id", "content_name", "artist", "artist_name"]
    EXTERNAL_FIELDS = ("content_type", "content_id", "content_name", "artist_name")

    def __init__(self, *args, found: list[CatalogueItem] = (), **kwargs):
        super().__init__(*args, **kwargs)
        # The item already chosen (posted, or asked for by a release page's link) stays
        # listed beside what a search found.
        chosen = catalogue_item_by_key(self["item"].value() or "")
        items = [chosen] if chosen else []
        items += [item for item in found if not chosen or item.key != chosen.key]
        self.fields["item"].widget.choices = [
            *((item.key, item.label) for item in items),
            ("", "Not on the platform: name it below"),
        ]
        if not self.is_bound and chosen is None:
            self.initial["item"] = ""
        # Picking an item decides the type; the external fields say it otherwise.
        self.fields["content_type"].required = False

    @property
    def external_fields(self) -> list:
        return [self[name] for name in self.EXTERNAL_FIELDS]

    @property
    def review_fields(self) -> list:
        return [self[name] for name in ("title", "text_content", "language", "rating", "images")]

    def clean_item(self) -> CatalogueItem | None:
        key = self.cleaned_data.get("item")
        if not key:
            return None
        item = catalogue_item_by_key(key)
        if item is None:
            raise forms.ValidationError(
                "That album or song is not on the platform; find it again or name it below."
            )
        return item

    def clean_artist(self):
        artist_id = self.cleaned_data.get("artist")
        if artist_id is None:
            return None
        artist = Artist.objects.filter(pk=artist_id).first()
        if artist is None:
            raise forms.ValidationError("That artist is not on the platform.")
        return artist

    def clean(self):
        cleaned = super().clean()
        item = cleaned.get("item")
        if item is not None:
            cleaned.update(
                content_type=item.content_type,
                content_id=item.content_id,
                content_name=item.name,
                artist=item.artist,
                artist_name="",
            )
            return cleaned
        if "item" in self.errors:
            return cleaned
        if not cleaned.get("content_type"):
            self.add_error("content_type", "Say whether it is an album or a song.")
        if not (cleaned.get("content_id") or "").strip():
            self.add_error("content_id", "Give its catalogue id, or find it on the platform.")
        if not (cleaned.get("content_name") or "").strip():
            self.add_error("content_name", "Give its title, or find it on the platform.")
        if not cleaned.get("artist") and not (cleaned.get("artist_name") or "").strip():
            self.add_error("artist_name", "Name the artist of this album or song.")
        return cleaned
