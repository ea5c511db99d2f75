"""Pages of a list found without counting it: one row more than a page shows says whether
a next page exists. Counting every match on each visit reads all of them (the product
list's 20 000 products, a search's trigram matches: docs/performance.md)."""

from dataclasses import dataclass


def page_number_of(value) -> int:
    """`?page=`: a page from 1 on; anything else is the first page, as Paginator.get_page
    does."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


@dataclass(frozen=True)
class UncountedPage:
    """What templates/includes/pagination.html asks of a page, as Django's Page has it,
    but without a total: the template names the page without "of N"."""

    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1
