# ruff: noqa: S311 - seeded pseudo-random numbers make synthetic data, not secrets
"""School-list files in the ministry's shape (schools.register): the whole country's (about 245
area offices and 29,000 schools, Thai names) for tests and the benchmark, and the demo's sample.

Synthetic codes are reserved: area offices ``9`` and seven digits, schools ``98`` and eight digits
(seed_scale's schools are ``99…``; real ministry codes start with 1).
"""

import csv
import io
import random
from datetime import date

import openpyxl

from schools.register import HEADER

from .names import FAMILY

COLUMNS = tuple(HEADER)  # the file's columns, in HEADER's order
PRIMARY_AREA_SHARE = 183 / 245
PROVINCES = ("เชียงใหม่", "ลำพูน", "ลำปาง", "แพร่", "พะเยา", "อุดรธานี", "หนองคาย", "เลย", "ยโสธร",
             "ร้อยเอ็ด", "ราชบุรี", "เพชรบุรี", "ตรัง", "พัทลุง", "สุราษฎร์ธานี", "ปัตตานี")  # fmt: skip
PLACES = ("หนองหอย", "ป่าซาง", "ทุ่งเสี้ยว", "ห้วยแก้ว", "สบเปิง", "นาบัว", "โนนสะอาด", "ดอนตูม",
          "คลองน้ำใส", "บางกุ้ง", "ท่าข้าม", "วังทอง", "หัวหิน", "ควนขนุน", "บ่อแก้ว", "ศรีดอนชัย")  # fmt: skip
DISTRICTS = ("เมือง", "สันทราย", "แม่ริม", "หางดง", "สารภี", "ดอยสะเก็ด", "แม่แตง", "พร้าว", "ฝาง")
SHAPES = (  # (lowest, highest, share): primary, opportunity expansion
    ("อ.1", "ป.6", 0.7),
    ("อ.1", "ม.3", 0.3),
)
SIZES = ("เล็ก", "กลาง", "ใหญ่", "ใหญ่พิเศษ")


def area_code(i: int) -> str:
    return f"9{i:07d}"


def school_code(i: int) -> str:
    return f"98{i:08d}"


def country_rows(*, areas: int = 245, schools: int = 29_000, seed: int = 1) -> list[dict]:
    """Return the rows of a country-shaped school list: each area office, then its schools."""
    rng = random.Random(seed)
    rows: list[dict] = []
    n_primary = max(1, round(areas * PRIMARY_AREA_SHARE)) if areas > 1 else areas
    per_area, extra = divmod(schools, areas)
    number = 0
    for a in range(1, areas + 1):
        primary = a <= n_primary
        province = PROVINCES[a % len(PROVINCES)]
        code = area_code(a)
        office = "ประถมศึกษา" if primary else "มัธยมศึกษา"
        rows.append(
            {
                "area_code": code,
                "name_th": f"สำนักงานเขตพื้นที่การศึกษา{office}{province} เขต {a}",
                "name_en": f"{'Primary' if primary else 'Secondary'} Educational Service Area Office {a}",
                "area_kind": "สพป." if primary else "สพม.",
                "province": province,
            }
        )
        for _ in range(per_area + (1 if a <= extra else 0)):
            number += 1
            if primary:
                low, high = ("อ.1", "ป.6") if rng.random() < SHAPES[0][2] else ("อ.1", "ม.3")
            else:
                low, high = "ม.1", "ม.6"
            place = rng.choice(PLACES)
            rows.append(
                {
                    "area_code": code,
                    "school_code": school_code(number),
                    "name_th": f"โรงเรียนบ้าน{place}{rng.choice(FAMILY)} {number}",
                    "name_en": f"Ban School {number}",
                    "province": province,
                    "district": rng.choice(DISTRICTS),
                    "subdistrict": place,
                    "lowest_grade": low,
                    "highest_grade": high,
                    "size": rng.choices(SIZES, (55, 30, 12, 3))[0],
                    "status": "เปิด",
                }
            )
    return rows


def to_csv(rows: list[dict], *, encoding: str = "utf-8") -> bytes:
    """Return the rows as CSV under the Thai header (utf-8, utf-8-sig or cp874)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([HEADER[c] for c in COLUMNS])
    for row in rows:
        writer.writerow([row.get(c, "") for c in COLUMNS])
    return buffer.getvalue().encode(encoding)


def to_xlsx(rows: list[dict]) -> bytes:
    """Return the rows as an .xlsx workbook under the Thai header."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([HEADER[c] for c in COLUMNS])
    for row in rows:
        sheet.append([row.get(c, "") for c in COLUMNS])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# The demo's sample: the second area office (สพม.เชียงใหม่) as the ministry would send it, with
# every kind of row. Ban Pang Mai Daeng is the small school the demo adds, with no learners, that
# the list says has merged into Doi Kham Wittaya.
DEMO_AREA = "50510000"
MERGING_SCHOOL = ("1050510002", "โรงเรียนบ้านปางไม้แดง", "Ban Pang Mai Daeng School")


def demo_sample_rows(*, today: date) -> list[dict]:
    """Return the demo's school list of its second area office: one unchanged area office row,
    a changed school, a merging one, two new ones and three that are refused."""
    secondary = {"lowest_grade": "ม.1", "highest_grade": "ม.6", "province": "เชียงใหม่"}
    merged_on = date(today.year if today.month >= 5 else today.year - 1, 5, 1)
    return [
        {"area_code": DEMO_AREA, "name_th": "สำนักงานเขตพื้นที่การศึกษามัธยมศึกษาเชียงใหม่",
         "name_en": "Chiang Mai Secondary Educational Service Area Office", "area_kind": "สพม.",
         "province": "เชียงใหม่"},
        # changed: the district, sub-district and size class the demo did not have
        {"area_code": DEMO_AREA, "school_code": "1050510001", "name_th": "โรงเรียนดอยคำวิทยา",
         "name_en": "Doi Kham Wittaya School", "district": "เมืองเชียงใหม่", "subdistrict": "สุเทพ",
         "size": "กลาง", "status": "เปิด", **secondary},
        # closing: merged into Doi Kham Wittaya at the start of the academic year
        {"area_code": DEMO_AREA, "school_code": MERGING_SCHOOL[0], "name_th": MERGING_SCHOOL[1],
         "name_en": MERGING_SCHOOL[2], "district": "แม่แตง", "subdistrict": "ป่าแป๋",
         "size": "เล็ก", "status": "ควบรวม", "closed_on": f"{merged_on.day}/{merged_on.month}/{merged_on.year + 543}",
         "merged_into": "1050510001", **secondary},
        # new
        {"area_code": DEMO_AREA, "school_code": "1050510003", "name_th": "โรงเรียนแม่ออนวิทยาคม",
         "name_en": "Mae On Wittayakhom School", "district": "แม่ออน", "subdistrict": "ออนเหนือ",
         "size": "กลาง", "status": "เปิด", **secondary},
        {"area_code": DEMO_AREA, "school_code": "1050510004", "name_th": "โรงเรียนสะเมิงพิทยาคม",
         "name_en": "Samoeng Phitthayakhom School", "district": "สะเมิง", "subdistrict": "สะเมิงใต้",
         "size": "ใหญ่", "status": "เปิด", **secondary},
        # refused: a code in the wrong shape (9 digits)
        {"area_code": DEMO_AREA, "school_code": "105051005", "name_th": "โรงเรียนบ้านกาด",
         "district": "แม่วาง", "subdistrict": "บ้านกาด", "size": "เล็ก", "status": "เปิด", **secondary},
        # refused: an area office that does not exist
        {"area_code": "50990000", "school_code": "1050510006", "name_th": "โรงเรียนฮอดพิทยา",
         "district": "ฮอด", "subdistrict": "หางดง", "size": "เล็ก", "status": "เปิด", **secondary},
        # refused: the lowest grade above the highest
        {"area_code": DEMO_AREA, "school_code": "1050510007", "name_th": "โรงเรียนจอมทองวิทยา",
         "district": "จอมทอง", "subdistrict": "บ้านหลวง", "size": "กลาง", "status": "เปิด",
         "province": "เชียงใหม่", "lowest_grade": "ม.4", "highest_grade": "ม.1"},
    ]  # fmt: skip
