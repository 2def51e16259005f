"""Read a bulk invitation file (school code, role, name, e-mail; CSV in UTF-8 or TIS-620, or .xlsx)
into rows, and say for every other line why it cannot be read. Reading never writes."""

from django.utils import translation
from django.utils.translation import gettext as _

from schools.uploads import UploadError, cell_text, find_header, read_table

from .invitations import BulkRow
from .models import SCHOOL_ROLES, Role

MAX_ROWS = 500
MAX_CELL_CHARS = 200
REQUIRED = ("school", "role", "name", "email")

# Checked in this order: "e-mail" must not be read as "name", nor "school code" as "citizen ID".
COLUMN_WORDS = (
    ("school", ("รหัสโรงเรียน", "school")),
    ("email", ("อีเมล", "e-mail", "email", "mail")),
    ("citizen_id", ("เลขประจำตัวประชาชน", "เลขบัตร", "citizen")),
    ("title", ("คำนำหน้า", "title")),
    ("role", ("บทบาท", "ตำแหน่ง", "role")),
    ("name", ("ชื่อ", "name")),
)


def _column_of(header: str) -> str | None:
    text = header.strip().lower()
    for column, words in COLUMN_WORDS:
        if any(word in text for word in words):
            return column
    return None


def _role_words() -> dict[str, str]:
    words = {"staff": Role.STAFF, "director": Role.DIRECTOR, "ผอ.": Role.DIRECTOR}
    for language in ("th", "en"):
        with translation.override(language):
            words.update({str(Role(r).label).lower(): r for r in SCHOOL_ROLES})
    words.update({"เจ้าหน้าที่": Role.STAFF, "ผู้อำนวยการ": Role.DIRECTOR})
    return words


def parse_invitations(data: bytes, filename: str) -> tuple[list[BulkRow], list[dict]]:
    """Return the rows of a bulk invitation file and, per unreadable line, its number and reason.

    Raises UploadError when the file as a whole cannot be read."""
    table = read_table(data, filename)
    header = find_header(table, column_of=_column_of, required=REQUIRED)
    if header is None:
        raise UploadError(
            _("Header not found: the file needs the columns school code, role, name and e-mail.")
        )
    header_index, columns = header
    body = table[header_index + 1 :]
    if len(body) > MAX_ROWS:
        raise UploadError(_("The file has more than %(max)d rows.") % {"max": MAX_ROWS})
    roles = _role_words()
    rows: list[BulkRow] = []
    errors: list[dict] = []
    seen: dict[tuple[str, str, str], int] = {}
    for offset, raw in enumerate(body):
        line = header_index + 2 + offset
        cells = {
            name: cell_text(raw[pos]) if pos < len(raw) else "" for name, pos in columns.items()
        }
        if not any(cells.values()):
            continue
        problems = []
        if any(len(v) > MAX_CELL_CHARS for v in cells.values()):
            problems.append(_("A cell is too long."))
        for name, message in (
            ("school", _("The school code is missing.")),
            ("role", _("The role is missing.")),
            ("name", _("The name is missing.")),
            ("email", _("The e-mail address is missing.")),
        ):
            if not cells[name]:
                problems.append(message)
        role = roles.get(cells["role"].lower())
        if cells["role"] and role is None:
            problems.append(
                _("Unknown role %(role)s: write staff or director.") % {"role": cells["role"][:40]}
            )
        if problems:
            errors.append({"line": line, "messages": problems})
            continue
        email = cells["email"].lower()
        key = (cells["school"], role, email)
        if key in seen:
            errors.append(
                {
                    "line": line,
                    "messages": [_("Repeats line %(other)d.") % {"other": seen[key]}],
                }
            )
            continue
        seen[key] = line
        first, _sep, last = cells["name"].partition(" ")
        rows.append(
            BulkRow(
                line=line, school_code=cells["school"], role=role, first_name=first.strip(),
                last_name=last.strip(), email=email, title=cells.get("title", ""),
                citizen_id=cells.get("citizen_id", ""),
            )
        )  # fmt: skip
    if not rows and not errors:
        raise UploadError(_("The file has no rows under its header."))
    return rows, errors
