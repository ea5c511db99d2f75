import secrets
from datetime import timedelta

import factory
from django.utils import timezone

from accounts.tests.factories import UserFactory
from artists.tests.factories import ArtistFactory
from communities.tests.factories import CommunityFactory
from content.models import (
    Comment,
    Like,
    MediaType,
    Post,
    PostAudience,
    PostCommunity,
    Review,
    ReviewedContentType,
    ShareLink,
)


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    class Params:
        with_image = factory.Trait(
            media_type=MediaType.IMAGE,
            media_urls=factory.List([factory.Faker("image_url")]),
        )

    artist = factory.SubFactory(ArtistFactory)
    content_text = factory.Faker("paragraph")
    media_type = MediaType.NONE


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    user = factory.SubFactory(UserFactory)
    content_type = ReviewedContentType.ALBUM
    # Reviewed albums and songs live in an external catalogue: a Spotify-style base62 id.
    content_id = factory.Faker("pystr", min_chars=22, max_chars=22)
    artist = factory.SubFactory(ArtistFactory)
    artist_name = factory.SelfAttribute("artist.artist_name")
    content_name = factory.Faker("catch_phrase")
    title = factory.Faker("sentence", nb_words=6)
    text_content = factory.Faker("paragraph", nb_sentences=5)
    rating = 4


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    class Params:
        reply = factory.Trait(
            parent_comment=factory.SubFactory("content.tests.factories.CommentFactory"),
            post=factory.SelfAttribute("parent_comment.post"),
        )
        on_review = factory.Trait(post=None, review=factory.SubFactory(ReviewFactory))

    post = factory.SubFactory(PostFactory)
    user = factory.SubFactory(UserFactory)
    content = factory.Faker("sentence")


class LikeFactory(factory.django.DjangoModelFactory):
    """Likes a post; the traits like a comment or a review instead (exactly one target)."""

    class Meta:
        model = Like

    class Params:
        on_comment = factory.Trait(post=None, comment=factory.SubFactory(CommentFactory))
        on_review = factory.Trait(post=None, review=factory.SubFactory(ReviewFactory))

    user = factory.SubFactory(UserFactory)
    post = factory.SubFactory(PostFactory)


class ShareLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShareLink

    post = factory.SubFactory(PostFactory)
    created_by = factory.SubFactory(UserFactory)
    share_token = factory.LazyFunction(lambda: secrets.token_urlsafe(32))
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class PostCommunityFactory(factory.django.DjangoModelFactory):
    """A members-only post's community: its members read it whole."""

    class Meta:
        model = PostCommunity

    post = factory.SubFactory(PostFactory, audience=PostAudience.MEMBERS)
    community = factory.SubFactory(CommunityFactory, artist=factory.SelfAttribute("..post.artist"))
