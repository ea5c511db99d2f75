"""Posts, comments, likes, reviews and share links; the feed, the explore page and the
featured section built from them."""
