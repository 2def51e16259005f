import pytest
from django.core.exceptions import ValidationError

from schools.identifiers import (
    citizen_id_check_digit,
    format_citizen_id,
    is_valid_citizen_id,
    mask_citizen_id,
    parse_citizen_id,
    parse_gcode,
)


def test_check_digit_by_hand():
    # 1·13 + 1·12 + 0·11 + 1·10 + 7·9 + 0·8 + 0·7 + 2·6 + 0·5 + 3·4 + 4·3 + 5·2 = 144
    # 144 mod 11 = 1, (11 − 1) mod 10 = 0
    assert citizen_id_check_digit("110170020345") == 0
    assert parse_citizen_id("1101700203450") == "1101700203450"


def test_valid_id_with_dashes_and_spaces_is_normalised():
    assert parse_citizen_id("1-1017-00203-45-0") == "1101700203450"
    assert parse_citizen_id(" 1 1017 00203 45 0 ") == "1101700203450"


def test_one_changed_digit_is_refused():
    with pytest.raises(ValidationError) as exc:
        parse_citizen_id("1101700203451")
    assert exc.value.code == "check_digit"
    assert "หลักตรวจสอบไม่ตรง" in exc.value.messages[0]
    assert "หลักตรวจสอบ" in exc.value.messages[0]


def test_a_changed_check_digit_is_caught():
    good = "1101700203450"
    for d in "123456789":
        assert not is_valid_citizen_id(good[:12] + d)


def test_first_digit_zero_is_valid():
    twelve = "012345678901"
    cid = twelve + str(citizen_id_check_digit(twelve))
    assert parse_citizen_id(cid) == cid


@pytest.mark.parametrize("value", ["110170020345", "11017002034501", ""])
def test_wrong_length_is_refused(value):
    with pytest.raises(ValidationError) as exc:
        parse_citizen_id(value)
    assert exc.value.code in {"length", "empty"}


@pytest.mark.parametrize("value", ["11017002034a9", "1101700203.59", "๑๑๐๑๗๐๐๒๐๓๔๕x"])
def test_non_digits_are_refused(value):
    with pytest.raises(ValidationError) as exc:
        parse_citizen_id(value)
    assert exc.value.code == "not_digits"
    assert "ต้องเป็นตัวเลขเท่านั้น" in exc.value.messages[0]


def test_thai_digits_are_normalised():
    assert parse_citizen_id("๑๑๐๑๗๐๐๒๐๓๔๕๐") == "1101700203450"


def test_format_and_mask():
    assert format_citizen_id("1101700203450") == "1-1017-00203-45-0"
    assert mask_citizen_id("1101700203450") == "1-1017-00xxx-xx-0"


def test_gcode():
    assert parse_gcode("g123456789012") == "G123456789012"
    for bad in ("G12345678901", "X123456789012", "G12345678901a", ""):
        with pytest.raises(ValidationError):
            parse_gcode(bad)
