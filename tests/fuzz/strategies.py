"""Strategies shared by the property tests (valid identifiers, hostile text). The Hypothesis
profiles are in tests/conftest.py."""

from hypothesis import settings
from hypothesis import strategies as st

from schools.identifiers import citizen_id_check_digit


def examples(n: int) -> int:
    """Return a test's own number of examples scaled to the profile: n in "ci", 6n in "fuzz"."""
    return max(1, n * settings.default.max_examples // 50)


THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"

twelve_digits = st.text(alphabet="0123456789", min_size=12, max_size=12)


@st.composite
def citizen_ids(draw) -> str:
    """Return a valid citizen ID: 13 ASCII digits with a correct check digit."""
    first = draw(twelve_digits)
    return first + str(citizen_id_check_digit(first))


@st.composite
def written_citizen_ids(draw) -> tuple[str, str]:
    """Return (canonical ID, the same ID as a person might type it: Thai digits, dashes, spaces)."""
    cid = draw(citizen_ids())
    out = []
    for i, d in enumerate(cid):
        out.append(THAI_DIGITS[int(d)] if draw(st.booleans()) else d)
        if i < 12:
            out.append(draw(st.sampled_from(["", "", "", "-", " ", "\u00a0", "\t"])))
    pad = st.sampled_from(["", " ", "  "])
    return cid, draw(pad) + "".join(out) + draw(pad)


# Text a hostile or careless user might type: control characters, NULs, RTL overrides, SQL,
# HTML, Thai, very long strings, lone surrogates excluded (a browser cannot send them).
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\u202e\u0627\u0644\u0639\u0631\u0628\u064a\u0629\u202c",
    "'; DROP TABLE schools_student; --",
    '" OR 1=1 --',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "{{ 7*7 }}{% debug %}",
    "=cmd|' /C calc'!A0",
    "เด็กชายทดสอบ ภาษาไทย ๑๒๓",
    "1101700203450",
    "G123456789012",
    "%s%s%s%n",
    "../../etc/passwd",
    "\ufeff\u200b\u200d",
    "9" * 400,
    "ก" * 5000,
    "x" * 100_001,
    "-1",
    "0",
    "1e309",
    "NaN",
    "2026-02-30",
    "9999-12-31",
    "0001-01-01",
]

hostile_text = st.one_of(
    st.sampled_from(NASTY),
    st.text(
        alphabet=st.characters(blacklist_categories=("Cs",)),
        max_size=300,
    ),
    st.text(alphabet="0123456789-๐๑๒๓๔๕๖๗๘๙ G", max_size=30),
)
