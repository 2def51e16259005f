"""Factories for the test suite: realistic rows with valid identifiers."""

import itertools
from datetime import date

import factory

from accounts.models import User
from schools.identifiers import citizen_id_check_digit
from schools.models import (
    AreaOffice,
    Enrollment,
    Grade,
    IssuedGCode,
    Measurement,
    School,
    Sex,
    Student,
    Title,
)

_ids = itertools.count(1)


def make_citizen_id(n: int | None = None, first: str = "1") -> str:
    """Return a valid citizen ID, different for each n."""
    n = next(_ids) if n is None else n
    twelve = f"{first}{n:011d}"
    return twelve + str(citizen_id_check_digit(twelve))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "ทดสอบ"
    last_name = factory.Sequence(lambda n: f"ผู้ใช้{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@test.opendmc.invalid")
    password = factory.django.Password("pw")


class AreaOfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AreaOffice

    code = factory.Sequence(lambda n: f"{9000 + n}")
    name_th = factory.Sequence(lambda n: f"สำนักงานเขตพื้นที่การศึกษาทดสอบ เขต {n}")
    name_en = factory.Sequence(lambda n: f"Test Area Office {n}")
    kind = AreaOffice.Kind.PRIMARY
    province = "เชียงใหม่"


class SchoolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = School

    code = factory.Sequence(lambda n: f"{1099000000 + n}")
    name_th = factory.Sequence(lambda n: f"โรงเรียนทดสอบ {n}")
    area_office = factory.SubFactory(AreaOfficeFactory)
    province = "เชียงใหม่"


class StudentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Student
        skip_postgeneration_save = True

    citizen_id = factory.LazyFunction(make_citizen_id)
    gcode = None
    title = Title.BOY
    first_name_th = factory.Iterator(["ธนกฤต", "ภูริณัฐ", "กิตติพัศ", "ณัฐวุฒิ"])
    last_name_th = factory.Iterator(["ศรีสุข", "แก้วมณี", "บุญมา"])
    sex = Sex.MALE
    birth_date = date(2016, 7, 1)

    @factory.post_generation
    def gcode_issuance(obj, create, extracted, **kwargs):
        # A learner's G-code was issued somewhere: record it, as the migration did for older ones.
        if create and obj.gcode:
            IssuedGCode.objects.get_or_create(
                gcode=obj.gcode, defaults={"source": IssuedGCode.Source.EARLIER, "student": obj}
            )


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    student = factory.SubFactory(StudentFactory)
    school = factory.SubFactory(SchoolFactory)
    grade = Grade.P3
    room = 1
    started_on = date(2026, 5, 16)


class MeasurementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Measurement

    student = factory.SubFactory(StudentFactory)
    measured_on = date(2026, 6, 1)
    weight_kg = 25
    height_cm = 130
    source = Measurement.Source.FORM


class IssuedGCodeFactory(factory.django.DjangoModelFactory):
    """A G-code issued by OpenDMC's G-code request and not yet taken by a learner."""

    class Meta:
        model = IssuedGCode

    gcode = factory.Sequence(lambda n: f"G69{n:010d}")
    source = IssuedGCode.Source.OPENDMC
    school = factory.SubFactory(SchoolFactory)
    learner_name = "ด.ช.อาทิตย์ ไม่มีนามสกุล"
