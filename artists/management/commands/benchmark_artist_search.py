"""Times artist search over many artists: `manage.py benchmark_artist_search [--artists N]`.

The artists are committed and vacuumed first, as a live table would be, and deleted at the
end; run it against a development database, never production.
"""

import random
import statistics
import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from faker import Faker

from artists.models import Artist
from artists.selectors import artist_search

BATCH = 5000


def band_name(fake: Faker, rng: random.Random) -> str:
    shape = rng.random()
    if shape < 0.35:
        return fake.name()
    if shape < 0.7:
        return f"The {fake.word().title()} {fake.word().title()}s"
    if shape < 0.85:
        return f"{fake.first_name()} & the {fake.word().title()}s"
    return f"{fake.word().title()} {fake.city()}"


def with_typo(name: str, rng: random.Random) -> str:
    """The name, or a half-typed prefix of it, with one typo a person makes."""
    if rng.random() < 0.3:
        name = name[: rng.randint(3, max(3, len(name) - 1))]
    if len(name) < 4:
        return name
    i = rng.randrange(1, len(name) - 1)
    kind = rng.choice(["drop", "swap", "replace", "none"])
    if kind == "drop":
        return name[:i] + name[i + 1 :]
    if kind == "swap":
        return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :]
    if kind == "replace":
        return name[:i] + rng.choice("aeioustrn") + name[i + 1 :]
    return name


class Command(BaseCommand):
    help = "Time artist search over many artists (rolled back afterwards)."

    def add_arguments(self, parser):
        parser.add_argument("--artists", type=int, default=100_000)
        parser.add_argument("--queries", type=int, default=500)
        parser.add_argument("--seed", type=int, default=4)

    def handle(self, *args, artists, queries, seed, **options):
        self.verbosity = options["verbosity"]
        rng = random.Random(seed)  # noqa: S311 -- repeatable test data, not secrets
        fake = Faker()
        fake.seed_instance(seed)
        started = time.perf_counter()
        names = [band_name(fake, rng) for _ in range(artists)]
        ids = []
        try:
            for start in range(0, artists, BATCH):
                with transaction.atomic():
                    created = Artist.objects.bulk_create(
                        Artist(artist_name=name) for name in names[start : start + BATCH]
                    )
                ids += [artist.pk for artist in created]
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE artists")
            self.stdout.write(
                f"Inserted {artists} artists in {time.perf_counter() - started:.1f} s."
            )
            self._search(names, rng, queries)
        finally:
            for start in range(0, len(ids), BATCH):
                Artist.objects.filter(pk__in=ids[start : start + BATCH]).delete()
            self.stdout.write("Deleted the benchmark's artists.")

    def _search(self, names: list[str], rng: random.Random, queries: int) -> None:
        timings, found = [], 0
        for _ in range(queries):
            target = rng.choice(names)
            query = with_typo(target, rng)
            began = time.perf_counter()
            page = artist_search(query=query, page_number=1)
            shown = [artist.artist_name for artist in page.object_list]
            elapsed = (time.perf_counter() - began) * 1000
            timings.append(elapsed)
            found += target in shown
            if self.verbosity > 1:
                self.stdout.write(f"{elapsed:8.1f} ms  {page.paginator.count:6d}  {query!r}")
        timings.sort()
        p95 = timings[int(len(timings) * 0.95) - 1]
        self.stdout.write(
            f"{queries} searches: median {statistics.median(timings):.1f} ms, "
            f"p95 {p95:.1f} ms, max {timings[-1]:.1f} ms; "
            f"the intended artist was on the first page {found / queries:.0%} of the time."
        )
