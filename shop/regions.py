"""The subdivisions a checkout offers as a list, for the countries whose addresses need one.

Codes are ISO 3166-2 without the country prefix (what carriers print on a label); every
other country gets a free-text region.
"""

REGIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "US": (
        ("AL", "Alabama"),
        ("AK", "Alaska"),
        ("AZ", "Arizona"),
        ("AR", "Arkansas"),
        ("CA", "California"),
        ("CO", "Colorado"),
        ("CT", "Connecticut"),
        ("DE", "Delaware"),
        ("DC", "District of Columbia"),
        ("FL", "Florida"),
        ("GA", "Georgia"),
        ("HI", "Hawaii"),
        ("ID", "Idaho"),
        ("IL", "Illinois"),
        ("IN", "Indiana"),
        ("IA", "Iowa"),
        ("KS", "Kansas"),
        ("KY", "Kentucky"),
        ("LA", "Louisiana"),
        ("ME", "Maine"),
        ("MD", "Maryland"),
        ("MA", "Massachusetts"),
        ("MI", "Michigan"),
        ("MN", "Minnesota"),
        ("MS", "Mississippi"),
        ("MO", "Missouri"),
        ("MT", "Montana"),
        ("NE", "Nebraska"),
        ("NV", "Nevada"),
        ("NH", "New Hampshire"),
        ("NJ", "New Jersey"),
        ("NM", "New Mexico"),
        ("NY", "New York"),
        ("NC", "North Carolina"),
        ("ND", "North Dakota"),
        ("OH", "Ohio"),
        ("OK", "Oklahoma"),
        ("OR", "Oregon"),
        ("PA", "Pennsylvania"),
        ("RI", "Rhode Island"),
        ("SC", "South Carolina"),
        ("SD", "South Dakota"),
        ("TN", "Tennessee"),
        ("TX", "Texas"),
        ("UT", "Utah"),
        ("VT", "Vermont"),
        ("VA", "Virginia"),
        ("WA", "Washington"),
        ("WV", "West Virginia"),
        ("WI", "Wisconsin"),
        ("WY", "Wyoming"),
        ("AS", "American Samoa"),
        ("GU", "Guam"),
        ("MP", "Northern Mariana Islands"),
        ("PR", "Puerto Rico"),
        ("VI", "U.S. Virgin Islands"),
        ("AA", "Armed Forces Americas"),
        ("AE", "Armed Forces Europe"),
        ("AP", "Armed Forces Pacific"),
    ),
    "CA": (
        ("AB", "Alberta"),
        ("BC", "British Columbia"),
        ("MB", "Manitoba"),
        ("NB", "New Brunswick"),
        ("NL", "Newfoundland and Labrador"),
        ("NS", "Nova Scotia"),
        ("NT", "Northwest Territories"),
        ("NU", "Nunavut"),
        ("ON", "Ontario"),
        ("PE", "Prince Edward Island"),
        ("QC", "Quebec"),
        ("SK", "Saskatchewan"),
        ("YT", "Yukon"),
    ),
    "AU": (
        ("ACT", "Australian Capital Territory"),
        ("NSW", "New South Wales"),
        ("NT", "Northern Territory"),
        ("QLD", "Queensland"),
        ("SA", "South Australia"),
        ("TAS", "Tasmania"),
        ("VIC", "Victoria"),
        ("WA", "Western Australia"),
    ),
}

REGION_NOUNS = {"US": "state", "CA": "province or territory", "AU": "state or territory"}


def region_code(country: str, text: str) -> str | None:
    """The code of the country's region written as `text` (its code or its name, any case)."""
    wanted = text.strip().casefold()
    for code, name in REGIONS.get(country, ()):
        if wanted in {code.casefold(), name.casefold()}:
            return code
    return None


def region_name(country: str, code: str) -> str:
    """How an address shows its region: the name for listed countries, else as written."""
    return dict(REGIONS.get(country, ())).get(code, code)
