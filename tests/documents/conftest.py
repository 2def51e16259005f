"""Document fixtures; the session's throwaway CA and signer come from tests/conftest.py."""

import uuid

import pytest
from django.utils import timezone

from documents import signing
from documents.models import Kind, SignedDocument
from documents.render import html_render, pdf_render, qr_svg_data_uri
from documents.services import document_issue, document_issue_annex, verify_url

from ..factories import make_citizen_id


@pytest.fixture(scope="session")
def other_signer(tmp_path_factory):
    """Return a signer whose certificate chains to another CA than the trusted one."""
    keys = signing.development_keys_create(
        directory=tmp_path_factory.mktemp("other-keys"), organisation="Someone else"
    )
    return signing.InstitutionSigner.from_pkcs12(keys.p12_path.read_bytes(), None)


def summary_context(**extra):
    """Return the context of a summary record that mentions a learner by name and citizen ID."""
    return {
        "intro": "บันทึกการรับรองข้อมูลนักเรียนรายบุคคล ณ วันที่ 10 มิถุนายน",
        "facts": [("นักเรียนที่ขอแก้ไข", "ด.ช.ธนกฤต ศรีสุข"), ("เลขประจำตัว", extra.pop("cid", ""))],
        "counts": {
            "title": "จำนวนนักเรียน",
            "headers": ["ชั้น", "ชาย", "หญิง", "รวม"],
            "rows": [["ป.1", 10, 12, 22], ["ป.2", 1200, 3, 1203]],
            "total": ["รวม", 1210, 15, 1225],
        },
        **extra,
    }


def unsaved_record(**fields) -> SignedDocument:
    """Return a record that is not in the database, for rendering without one."""
    now = timezone.now()
    defaults = {
        "public_id": uuid.uuid4(),
        "kind": Kind.CERTIFICATION,
        "title": "บันทึกการรับรองข้อมูลนักเรียน ภาคเรียนที่ 1/2569",
        "actor_name": "นายสมชาย ใจดี",
        "actor_role": "ผู้อำนวยการโรงเรียนบ้านทดสอบ",
        "created_at": now,
        "signed_at": now,
    }
    return SignedDocument(**{**defaults, **fields})


@pytest.fixture(scope="session")
def signed_pdf(signing_keys) -> bytes:
    """Return one signed one-page record, rendered without the database."""
    record = unsaved_record()
    url = verify_url(record.public_id)
    html = html_render(
        template="documents/summary_record.html",
        context={
            **summary_context(cid=make_citizen_id(9001)),
            "record": record,
            "verify_url": url,
            "qr": qr_svg_data_uri(url),
        },
    )
    return signing.pdf_sign(
        pdf=pdf_render(html=html).data,
        actor_name=record.actor_name,
        actor_role=record.actor_role,
        signed_at=record.signed_at,
        reason=record.title,
    )


ROSTER_BUILDER = "documents.contexts.roster_annex_context"


def issue(school, actor, step_key="certification:1:certify", context=None, **extra):
    """Sign a director's one-page certification record for the school."""
    return document_issue(
        step_key=step_key,
        kind=Kind.CERTIFICATION,
        template="documents/summary_record.html",
        context=summary_context() if context is None else context,
        school=school,
        actor=actor,
        actor_role=f"ผู้อำนวยการ{school.name_th}",
        title="บันทึกการรับรองข้อมูลนักเรียน ภาคเรียนที่ 1/2569",
        **extra,
    )


def issue_annex(parent, school):
    """Record the school's roster annex to a record; Celery renders it after commit."""
    return document_issue_annex(
        parent=parent,
        step_key=f"{parent.step_key}:roster",
        template="documents/roster_annex.html",
        title="บัญชีรายชื่อนักเรียนแนบท้าย",
        context_builder=ROSTER_BUILDER,
        context_kwargs={"school_id": school.pk},
    )
