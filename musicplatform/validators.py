"""Names are one line of text: they reach email subjects and headers, file names, titles.

Artist, community, forum, product, event and people's names and titles are checked by
`validate_single_line` in their forms (`musicplatform.forms.NameField`) and again in the
services that write them, so a name with a line break or a control character never gets
in. Names written before this check may still hold one: what puts a name in a header
makes it single-line itself (`one_line`).
"""

import unicodedata

from django.core.exceptions import ValidationError

# Bidi overrides and isolates make a name display as something it is not ("\u202etxt.exe").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Control characters (newlines, tabs, NUL, escapes) and the line and paragraph separators.
BREAKING_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})

NOT_SINGLE_LINE = "Use one line of text, without line breaks or control characters."


def _is_breaking(character: str) -> bool:
    return unicodedata.category(character) in BREAKING_CATEGORIES or character in BIDI_CONTROLS


def validate_single_line(value: str) -> None:
    if any(_is_breaking(character) for character in value):
        raise ValidationError(NOT_SINGLE_LINE, code="not_single_line")


def one_line(value: str) -> str:
    """`value` with every line break and control character turned into one space."""
    return " ".join("".join(" " if _is_breaking(c) else c for c in value).split())


def name_key(value: str) -> str:
    """What two spellings of one name have in common: compatibility forms folded (NFKC:
    full-width letters, ligatures), lower case, runs of spaces as one. The same as
    `name_key_sql` computes in the database."""
    return " ".join(unicodedata.normalize("NFKC", value).lower().split())


def name_key_sql(field: str):
    """`name_key` of a column, for comparing stored names in a query."""
    from django.db.models import F, Func, Value
    from django.db.models.functions import Lower, Trim

    normalized = Func(F(field), template="normalize(%(expressions)s, NFKC)")
    spaced = Func(normalized, Value(r"\s+"), Value(" "), Value("g"), function="regexp_replace")
    return Trim(Lower(spaced))


# Letters and signs drawn like a Latin letter (Cyrillic, Greek, digits, symbols), mapped to
# it; i, l, 1, | and ! are one shape. Not Unicode's whole confusables table: the common
# lookalikes of names, which NFKC does not fold.
CONFUSABLES = str.maketrans(
    {
        **dict(zip("аеорсухіјѕԁɡԛԝвкмнтӏ", "aeopcyxljsdgqwbkmhtl", strict=True)),
        **dict(zip("αβεικνορτυχ", "abelkvoptux", strict=True)),
        **dict(zip("0134578@$", "oleastbas", strict=True)),
        "i": "l",
        "|": "l",
        "!": "l",
    }
)


def name_skeleton(value: str) -> str:
    """What a name looks like: compatibility forms folded, lower case, accents, spaces and
    punctuation dropped, lookalike letters made one ("Tay1or  Swíft" and "\u0422aylor Swift"
    with a Cyrillic T both give "taylorswlft"); "rn" reads as "m" and "vv" as "w"."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", value).casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    shaped = plain.translate(CONFUSABLES).replace("rn", "m").replace("vv", "w")
    return "".join(c for c in shaped if c.isalnum())
