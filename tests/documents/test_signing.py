import datetime
import io

import pytest
from django.core.management import call_command
from pyhanko.pdf_utils.generic import NameObject, TextStringObject
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from documents import signing
from documents.render import pdf_render
from documents.verify import pdf_verify


def test_signed_record_is_valid(signed_pdf):
    check = pdf_verify(data=signed_pdf)
    assert check.valid, check.reason
    assert "OpenDMC" in check.signer
    assert abs(check.signed_at - datetime.datetime.now(datetime.UTC)) < datetime.timedelta(hours=1)


def _change(data: bytes, index: int) -> bytes:
    """Return the data with one byte changed (a hex digit stays a hex digit)."""
    old = data[index : index + 1]
    hex_digits = b"0123456789ABCDEF"
    if old.upper() in hex_digits:
        new = hex_digits[(hex_digits.index(old.upper()) + 1) % 16]
    else:
        new = data[index] ^ 0x01
    return data[:index] + bytes([new]) + data[index + 1 :]


def _contents_span(data: bytes) -> tuple[int, int]:
    """Return where the hex signature container starts and ends inside /Contents <…>."""
    start = data.index(b"/Contents <") + len(b"/Contents <")
    return start, data.index(b">", start)


def test_one_changed_byte_anywhere_is_invalid(signed_pdf):
    start, end = _contents_span(signed_pdf)
    der_hex_len = len(signed_pdf[start:end].rstrip(b"0"))
    positions = {
        5,  # the header, %PDF-1.x
        len(signed_pdf) // 3,  # the body
        start + 40,  # the signature bytes
        start + der_hex_len - 4,  # the end of the signature bytes
        end - 10,  # the zero padding after them
        len(signed_pdf) - 3,  # %%EOF
    }
    positions.update(range(0, len(signed_pdf), len(signed_pdf) // 40))
    # The signature container too: it holds unsigned parts (versions, certificates, lengths).
    positions.update(range(start, start + der_hex_len, 97))
    for i in sorted(positions):
        check = pdf_verify(data=_change(signed_pdf, i))
        assert not check.valid, f"a change at byte {i} went unnoticed"


def test_appended_update_is_invalid(signed_pdf):
    writer = IncrementalPdfFileWriter(io.BytesIO(signed_pdf))
    info = writer.root
    info[NameObject("/Lang")] = TextStringObject("en")
    writer.update_root()
    out = io.BytesIO()
    writer.write(out)
    check = pdf_verify(data=out.getvalue())
    assert not check.valid
    assert not pdf_verify(data=signed_pdf + b"\n% appended\n").valid


def test_pdf_signed_by_another_ca_is_invalid(other_signer):
    pdf = signing.pdf_sign(
        pdf=pdf_render(html="<p>ทดสอบ</p>").data,
        actor_name="ผู้อื่น",
        actor_role="ไม่มีสิทธิ์",
        signed_at=datetime.datetime.now(datetime.UTC),
        reason="test",
        signer=other_signer,
    )
    check = pdf_verify(data=pdf)
    assert not check.valid
    assert "ผู้ลงนามไม่ได้รับการรับรองจากหน่วยงานที่เชื่อถือ" in check.reason


def test_unsigned_or_damaged_pdf_is_invalid(signed_pdf):
    assert "ไม่มีลายมือชื่ออิเล็กทรอนิกส์" in pdf_verify(data=pdf_render(html="<p>ทดสอบ</p>").data).reason
    assert not pdf_verify(data=b"not a pdf").valid
    assert not pdf_verify(data=signed_pdf[: len(signed_pdf) // 2]).valid
    assert not pdf_verify(data=b"").valid


def test_verify_pdf_command(tmp_path, signed_pdf, capsys):
    good = tmp_path / "good.pdf"
    good.write_bytes(signed_pdf)
    call_command("verify_pdf", str(good))
    assert capsys.readouterr().out.startswith(f"OK {good}: signed by ")

    bad = tmp_path / "bad.pdf"
    bad.write_bytes(_change(signed_pdf, len(signed_pdf) // 2))
    with pytest.raises(SystemExit) as exit_info:
        call_command("verify_pdf", str(good), str(bad), str(tmp_path / "missing.pdf"))
    assert exit_info.value.code == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"OK {good}")
    assert lines[1].startswith(f"INVALID {bad}: ")
    assert lines[2].startswith(f"INVALID {tmp_path / 'missing.pdf'}: ")


def test_signing_ca_prints_the_trust_root(signing_keys, capsys):
    call_command("signing_ca")
    out = capsys.readouterr().out
    assert out.startswith("-----BEGIN CERTIFICATE-----")
    assert out == signing_keys.ca_path.read_text()


def test_signing_init_creates_keys_once(tmp_path, settings, capsys):
    settings.SIGNING_DIR = tmp_path / "keys"
    call_command("signing_init")
    p12 = (tmp_path / "keys" / "signing.p12").read_bytes()
    ca = (tmp_path / "keys" / "ca.pem").read_bytes()
    call_command("signing_init")
    assert (tmp_path / "keys" / "signing.p12").read_bytes() == p12
    assert (tmp_path / "keys" / "ca.pem").read_bytes() == ca
    assert "already exist" in capsys.readouterr().out


def test_signer_is_loaded_once():
    assert signing.signer_get() is signing.signer_get()


def test_stamp_shows_buddhist_year_in_bangkok_time():
    at = datetime.datetime(2026, 6, 10, 6, 5, tzinfo=datetime.UTC)
    assert signing.stamp_time(at) == "10 มิ.ย. 2569 13:05"
