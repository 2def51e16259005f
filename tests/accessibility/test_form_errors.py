"""A form sent back with errors: every field has a label, and each error is tied to its field
(aria-invalid, and aria-describedby naming the element that says what is wrong)."""

from datetime import date
from html.parser import HTMLParser

from django.urls import reverse

from tests.factories import EnrollmentFactory, StudentFactory


class Fields(HTMLParser):
    """Collect a page's form fields, its labels' targets and the text of every element with an id."""

    FIELDS = {"input", "select", "textarea"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.fields: list[dict] = []
        self.label_for: set[str] = set()
        self.texts: dict[str, list[str]] = {}
        self.open_ids: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "label" and attributes.get("for"):
            self.label_for.add(attributes["for"])
        if tag in self.FIELDS and attributes.get("type") not in ("hidden", "submit", "button"):
            self.fields.append(attributes)
        if tag not in ("input", "br", "img", "meta", "link"):
            self.open_ids.append(attributes.get("id"))
            if attributes.get("id"):
                self.texts[attributes["id"]] = []

    def handle_endtag(self, tag):
        if tag not in ("input", "br", "img", "meta", "link") and self.open_ids:
            self.open_ids.pop()

    def handle_data(self, data):
        for element_id in self.open_ids:
            if element_id:
                self.texts[element_id].append(data)

    def text_of(self, element_id: str) -> str:
        return " ".join("".join(self.texts.get(element_id, [])).split())


def test_a_bad_measurement_names_its_errors_through_the_fields(client_as, staff, school):
    enrollment = EnrollmentFactory(
        school=school, student=StudentFactory(birth_date=date(2017, 7, 1))
    )
    url = reverse("schools:measure", args=[school.code, enrollment.student.public_id])
    response = client_as(staff).post(
        url, {"measured_on": "1/6/2569", "weight_kg": "heavy", "height_cm": ""}
    )

    assert response.status_code == 200  # the form again, with its errors
    page = Fields()
    page.feed(response.content.decode())
    fields = {f["name"]: f for f in page.fields if "name" in f}
    unlabelled = [
        f for f in page.fields if f.get("id") not in page.label_for and not f.get("aria-label")
    ]
    assert not unlabelled, f"fields without a label: {unlabelled}"
    for name in ("weight_kg", "height_cm"):
        field = fields[name]
        assert field.get("aria-invalid") == "true", field
        described = [page.text_of(i) for i in field.get("aria-describedby", "").split()]
        assert any(described), f"{name}: aria-describedby names no element with text: {field}"
    assert fields["measured_on"].get("aria-invalid") is None
    # Thai: the errors say what is wrong in the reader's language.
    weight_error = page.text_of(fields["weight_kg"]["aria-describedby"].split()[-1])
    height_error = page.text_of(fields["height_cm"]["aria-describedby"].split()[-1])
    assert weight_error and height_error and weight_error != "heavy"
