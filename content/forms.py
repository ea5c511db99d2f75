from datetime import timedelta

from django import forms

from artists.models import Artist
from communities.models import Community
from content.models import PostAudience, ReviewedContentType
from content.services import COMMENT_MAX_LENGTH, POST_MAX_LENGTH, REVIEW_MAX_LENGTH
from musicplatform.forms import MultipleFileField, MultipleFileInput, NameField


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


class ReviewForm(ReviewFieldsForm):
    content_type = forms.ChoiceField(label="Reviewing a", choices=ReviewedContentType.choices)
    content_id = forms.CharField(
        label="Catalogue id", max_length=255, help_text="e.g. the Spotify id of the album or song"
    )
    content_name = NameField(label="Album or song title", max_length=255)
    artist = forms.UUIDField(required=False, widget=forms.HiddenInput())
    artist_name = NameField(label="Artist", max_length=255, required=False)
    images = MultipleFileField(
        label="Pictures (up to 4)",
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/*"}),
    )
    field_order = ["content_type", "content_id", "content_name", "artist", "artist_name"]

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
        if not cleaned.get("artist") and not (cleaned.get("artist_name") or "").strip():
            self.add_error("artist_name", "Name the artist of this album or song.")
        return cleaned
