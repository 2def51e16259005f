"""The identifier rules at their edges (issue 24, docs/mutation.md): G-codes as people type them,
citizen IDs written in other scripts' digits, the check digit's every value, and the masks."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import example, given
from hypothesis import strategies as st

from schools.identifiers import (
    citizen_id_check_digit,
    format_citizen_id,
    is_valid_citizen_id,
    mask_citizen_id,
    mask_citizen_ids_in,
    mask_gcode,
    parse_citizen_id,
    parse_gcode,
)

from ..fuzz.strategies import citizen_ids

# Decimal digits of other scripts: str.isdigit() says yes to each, the civil register says no.
OTHER_SCRIPTS = {
    "arabic-indic": "٠١٢٣٤٥٦٧٨٩",
    "extended arabic-indic": "۰۱۲۳۴۵۶۷۸۹",
    "devanagari": "०१२३४५६७८९",
    "bengali": "০১২৩৪৫৬৭৮৯",
    "lao": "໐໑໒໓໔໕໖໗໘໙",
    "khmer": "០១២៣៤៥៦៧៨៩",
    "myanmar": "၀၁၂၃၄၅၆၇၈၉",
    "tibetan": "༠༡༢༣༤༥༦༧༨༩",
    "full-width": "０１２３４５６７８９",
    "mathematical bold": "𝟎𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖𝟗",
}
THAI = "๐๑๒๓๔๕๖๗๘๙"


def written_in(digits: str, script: str) -> str:
    return digits.translate(str.maketrans("0123456789", script))


class Refusal:
    """A ValidationError's code and its messages as an English reader sees them."""

    def __init__(self, error: ValidationError):
        self.code = error.code
        self.messages = [str(m) for m in error.messages]


def parse_error(parse, value) -> Refusal:
    with translation.override("en"):
        with pytest.raises(ValidationError) as caught:
            parse(value)
        return Refusal(caught.value)


# --- G-codes -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "G123456789012",
        "g123456789012",
        "G๑๒๓๔๕๖๗๘๙๐๑๒",  # Thai digits
        "g-1234-5678-9012",
        "G 1234 5678 9012",
        "G\u00a01234\u00a05678\u00a09012",  # no-break spaces, as pasted from a document
        "G\t123456789012",
        " G123456789012 ",
        "G-๑๒๓๔-5678-9012",  # Thai and Arabic digits mixed
    ],
)
def test_a_gcode_typed_with_thai_digits_or_separators_is_read_as_g_and_12_digits(typed):
    assert parse_gcode(typed) == "G123456789012"


@pytest.mark.parametrize(
    "typed",
    [
        "GG12345678901",  # a second letter after the G
        "GX12345678901",
        "G12345678901X",
        "H123456789012",  # another letter
        "0123456789012",  # no letter at all
        "G12345678901",  # 11 digits
        "G1234567890123",  # 13 digits
        "G١٢٣٤٥٦٧٨٩٠١٢",  # Arabic-Indic digits: not read as digits
        "G１２３４５６７８９０１２",  # full-width digits
        "G١23456789012",  # one Arabic-Indic digit right after the G
        "G12345678901١",  # ... or last
        "",
        None,
    ],
)
def test_a_gcode_with_a_second_letter_or_the_wrong_length_is_refused_saying_what_a_gcode_is(typed):
    error = parse_error(parse_gcode, typed)
    assert error.code == "gcode"
    assert error.messages == ["A G-code is the letter G followed by 12 digits."]


def test_a_gcode_is_refused_in_thai_by_default():
    with pytest.raises(ValidationError) as caught:
        parse_gcode("GG12345678901")
    assert [str(m) for m in caught.value.messages] == ["รหัส G ต้องเป็นตัวอักษร G ตามด้วยตัวเลข 12 หลัก"]


# --- citizen IDs in other scripts ---------------------------------------------------------------


@given(citizen_ids(), st.sampled_from(sorted(OTHER_SCRIPTS)))
@example("1101700203450", "arabic-indic")
@example("1101700203450", "devanagari")
@example("1101700203450", "full-width")
@example("1101700203450", "mathematical bold")
@example("3100503321889", "lao")
@example("3100503321889", "khmer")
@example("3100503321889", "myanmar")
@example("3100503321889", "bengali")
@example("3100503321889", "tibetan")
@example("3100503321889", "extended arabic-indic")
def test_a_citizen_id_in_another_scripts_digits_is_refused_even_with_a_correct_check_digit(
    cid, script
):
    assert is_valid_citizen_id(cid)  # the same digits in ASCII are a valid ID
    typed = written_in(cid, OTHER_SCRIPTS[script])
    error = parse_error(parse_citizen_id, typed)
    assert error.code == "not_digits"
    assert error.messages == ["The citizen ID must contain digits only."]
    assert not is_valid_citizen_id(typed)
    # Grouped as on the card, the same.
    assert (
        parse_error(
            parse_citizen_id, written_in(format_citizen_id(cid), OTHER_SCRIPTS[script])
        ).code
        == "not_digits"
    )


@given(citizen_ids())
@example("1101700203450")
@example("3100503321889")
def test_a_citizen_id_in_thai_digits_is_read_as_the_same_id(cid):
    assert parse_citizen_id(written_in(cid, THAI)) == cid
    assert parse_citizen_id(written_in(format_citizen_id(cid), THAI)) == cid


def test_one_digit_of_another_script_among_ascii_digits_is_refused():
    cid = "1101700203450"
    typed = cid[:5] + OTHER_SCRIPTS["arabic-indic"][int(cid[5])] + cid[6:]
    assert parse_error(parse_citizen_id, typed).code == "not_digits"


# --- the check digit ----------------------------------------------------------------------------


def oracle(first_twelve: str) -> int:
    """DOMAIN.md's rule written out: weights 13..2, then (11 − sum mod 11) mod 10."""
    total = sum(int(d) * w for d, w in zip(first_twelve, range(13, 1, -1), strict=True))
    return (11 - total % 11) % 10


@pytest.mark.parametrize("check", range(10))
def test_every_check_digit_value_is_computed_as_the_national_rule_says(check):
    # Find an ID whose check digit is `check`: the 12th digit (weight 2) walks the sums.
    for last in range(10):
        for tenth in range(10):
            first = f"11017002034{last}"[:10] + f"{tenth}{last}"
            if oracle(first) == check:
                assert citizen_id_check_digit(first) == check
                # The slow path (Thai digits, as the roster import may pass them) agrees.
                assert citizen_id_check_digit(written_in(first, THAI)) == check
                cid = first + str(check)
                assert parse_citizen_id(cid) == cid
                wrong = first + str((check + 1) % 10)
                error = parse_error(parse_citizen_id, wrong)
                assert error.code == "check_digit"
                assert error.messages == ["The citizen ID is not valid (wrong check digit)."]
                return
    pytest.fail(f"no ID found with check digit {check}")


@pytest.mark.parametrize(
    "typed,code,message",
    [
        ("", "empty", "The citizen ID is empty."),
        (None, "empty", "The citizen ID is empty."),
        (" - ", "empty", "The citizen ID is empty."),
        ("110170020345", "length", "The citizen ID must have 13 digits (found 12)."),
        ("11017002034502", "length", "The citizen ID must have 13 digits (found 14)."),
        ("1101700203450a", "not_digits", "The citizen ID must contain digits only."),
        ("1-1017-00203-45-1", "check_digit", "The citizen ID is not valid (wrong check digit)."),
    ],
)
def test_each_malformed_citizen_id_gets_its_own_refusal(typed, code, message):
    error = parse_error(parse_citizen_id, typed)
    assert (error.code, error.messages) == (code, [message])


def test_a_citizen_id_with_dashes_spaces_and_no_break_spaces_is_read():
    assert parse_citizen_id("1-1017-00203-45-0") == "1101700203450"
    assert parse_citizen_id(" 1 1017 00203 45 0\u00a0") == "1101700203450"
    assert parse_citizen_id("1\t1017\t00203450") == "1101700203450"


# --- what is shown ------------------------------------------------------------------------------


def test_a_citizen_id_is_shown_grouped_and_masked_as_on_the_card():
    assert format_citizen_id("1101700203450") == "1-1017-00203-45-0"
    assert mask_citizen_id("1101700203450") == "1-1017-00xxx-xx-0"
    assert mask_gcode("G123456789012") == "G12345xxxxx12"


@pytest.mark.parametrize("value", ["", None, "123", "11017002034502"])
def test_a_value_that_is_not_13_characters_is_shown_as_it_is(value):
    assert format_citizen_id(value) == (value or "")
    assert mask_citizen_id(value) == (value or "")
    assert mask_gcode(value) == (value or "")


def test_every_id_in_a_text_is_masked_bare_grouped_or_in_thai_digits_and_nothing_else():
    text = "บัตร 1101700203450, 1-1017-00203-45-0, ๑๑๐๑๗๐๐๒๐๓๔๕๐ โทร 0812345678 เลข 11017002034502"
    assert mask_citizen_ids_in(text, mask="#") == "บัตร #, #, # โทร 0812345678 เลข 11017002034502"
    assert mask_citizen_ids_in("1101700203450") == "#############"
