"""The help menu: every persona reads the guides of its role; guides and pictures are served."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from config.help import GUIDES

ROLE_GUIDE = {
    "staff": "school-staff",
    "director": "director",
    "area_officer": "area-officer",
    "id_approver": "id-approver",
    "ministry_admin": "ministry",
}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f"
    b"\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00"
    b"IEND\xaeB`\x82"
)


@pytest.fixture
def docs(settings, tmp_path):
    """A docs folder of one guide per role, each with one picture."""
    (tmp_path / "images").mkdir()
    for guide in GUIDES:
        (tmp_path / f"guide-{guide.slug}.md").write_text(
            f"# {guide.title}\n\n1. ขั้นแรก\n\n![หน้าจอ](images/{guide.slug}-home.png)\n",
            encoding="utf-8",
        )
        (tmp_path / "images" / f"{guide.slug}-home.png").write_bytes(PNG)
    settings.HELP_DOCS_DIR = tmp_path
    return tmp_path


@pytest.mark.parametrize("persona", ROLE_GUIDE)
def test_each_persona_finds_the_guide_of_its_role(request, client_as, docs, persona):
    client = client_as(request.getfixturevalue(persona))
    response = client.get(reverse("help:index"))
    assert response.status_code == 200
    assert [g.slug for g in response.context["mine"]] == [ROLE_GUIDE[persona]]
    guide = client.get(reverse("help:guide", args=[ROLE_GUIDE[persona]]))
    assert guide.status_code == 200
    body = guide.content.decode()
    assert f'src="/help/images/{ROLE_GUIDE[persona]}-home.png"' in body
    assert "Content-Security-Policy" in guide.headers
    # Every script comes from a file: the CSP allows no inline script.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)


def test_the_site_menu_links_the_help_pages(client_as, staff, docs):
    body = client_as(staff).get(reverse("home")).content.decode()
    assert f'href="{reverse("help:index")}"' in body


def test_a_user_without_a_role_sees_every_guide_as_other(client_as, db, docs):
    from tests.factories import UserFactory

    response = client_as(UserFactory()).get(reverse("help:index"))
    assert response.status_code == 200
    assert response.context["mine"] == []
    assert len(response.context["others"]) == len(GUIDES)


def test_an_unknown_or_missing_guide_is_not_found(client_as, staff, docs):
    client = client_as(staff)
    assert client.get(reverse("help:guide", args=["no-such-guide"])).status_code == 404
    (docs / "guide-director.md").unlink()
    assert client.get(reverse("help:guide", args=["director"])).status_code == 404


def test_pictures_are_served_to_signed_in_users_only(client, client_as, staff, docs):
    url = reverse("help:image", args=["school-staff-home"])
    assert client.get(url).status_code == 302  # to the login page
    response = client_as(staff).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    assert client.get(reverse("help:image", args=["nothing-here"])).status_code == 404


def test_help_pages_refuse_to_post(client_as, staff, docs):
    assert client_as(staff).post(reverse("help:index")).status_code == 405


def test_every_picture_of_the_real_guides_exists(settings):
    """The guides name the pictures the browser tests take: none may be missing."""
    docs = settings.BASE_DIR / "docs"
    for guide in GUIDES:
        text = (docs / f"guide-{guide.slug}.md").read_text(encoding="utf-8")
        names = re.findall(r"\]\(images/([a-z0-9-]+\.png)\)", text)
        assert names, guide.slug
        missing = [n for n in names if not (docs / "images" / n).is_file()]
        assert not missing, f"{guide.slug}: {missing}"


# How the browser tests name the pictures they write to docs/images/ (tests/e2e/conftest.Screens):
# screens(page, "name") with any page variable, screens.keep(png, "name"), and the phone walk's
# check(page, "name"), photographed as "phone-name".
TAKEN = re.compile(r'screens\(\s*\w+,\s*"([a-z0-9-]+)"|\.keep\([^)]*?,\s*"([a-z0-9-]+)"\)')
PHONE_TAKEN = re.compile(r'walk\.check\(\s*page,\s*"([a-z0-9-]+)"\)')
SHOT_AT_LOGIN = re.compile(r'shot="([a-z0-9-]+)"')


def pictures_the_browser_tests_take(e2e: Path) -> set[str]:
    names = set()
    for source in e2e.glob("test_*.py"):
        text = source.read_text(encoding="utf-8")
        names |= {a or b for a, b in TAKEN.findall(text)}
        names |= {f"phone-{n}" for n in PHONE_TAKEN.findall(text)}
        names |= set(SHOT_AT_LOGIN.findall(text))
    return names


def test_every_picture_of_the_guides_is_one_the_browser_tests_take(settings):
    """A guide shows only photographs that `make e2e` writes, so that none goes stale."""
    taken = pictures_the_browser_tests_take(settings.BASE_DIR / "tests" / "e2e")
    assert {"staff-home", "phone-staff-home", "director-record", "login"} <= taken
    for guide in GUIDES:
        text = (settings.BASE_DIR / "docs" / f"guide-{guide.slug}.md").read_text(encoding="utf-8")
        names = {
            n.removesuffix(".png") for n in re.findall(r"\]\(images/([a-z0-9-]+\.png)\)", text)
        }
        assert names <= taken, f"{guide.slug}: not photographed by tests/e2e: {names - taken}"


def pictures_the_guides_show(docs: Path) -> set[str]:
    names = set()
    for guide in GUIDES:
        text = (docs / f"guide-{guide.slug}.md").read_text(encoding="utf-8")
        names |= {
            n.removesuffix(".png") for n in re.findall(r"\]\(images/([a-z0-9-]+\.png)\)", text)
        }
    return names


def test_every_phone_photograph_is_shown_by_a_guide(settings):
    """Each page the phone walk photographs at 360 × 740 (tests/e2e/test_accessibility.py) is
    shown in the guide of its role, and docs/images holds no phone picture the walk no longer takes."""
    docs = settings.BASE_DIR / "docs"
    taken = {
        n
        for n in pictures_the_browser_tests_take(settings.BASE_DIR / "tests" / "e2e")
        if n.startswith("phone-")
    }
    # the staff's and the director's count-day path, each step on a phone
    count_day = {
        *(f"phone-staff-{s}" for s in ("home", "roster", "validation", "measurement-form")),
        *(f"phone-staff-{s}" for s in ("upload", "inbox", "prepare")),
        *(f"phone-director-{s}" for s in ("home", "inbox", "certify", "documents")),
    }
    assert count_day <= taken
    assert not taken - pictures_the_guides_show(docs)
    on_disk = {p.stem for p in (docs / "images").glob("phone-*.png")}
    assert on_disk <= taken, f"not taken by tests/e2e any more: {on_disk - taken}"
