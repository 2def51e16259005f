"""Check a PDF's signature against the trust roots, and a stored record's file against its SHA-256."""

import datetime
import hashlib
import io
import logging
from dataclasses import dataclass

from asn1crypto import parser as asn1_parser
from django.utils.translation import gettext as _
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from .models import SignedDocument
from .signing import trust_roots

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on a PDF's signatures: valid or not, why, who signed and when."""

    valid: bool
    reason: str
    signer: str = ""
    signed_at: datetime.datetime | None = None


@dataclass(frozen=True)
class DocumentCheck:
    """The verdict on a stored record: the file is the one signed, and its signature is valid."""

    file_intact: bool
    signature: SignatureCheck

    @property
    def ok(self) -> bool:
        """Return whether the stored file is intact and validly signed."""
        return self.file_intact and self.signature.valid


def _invalid(reason: str) -> SignatureCheck:
    return SignatureCheck(valid=False, reason=reason)


def _is_der(data: bytes) -> bool:
    """Return whether the bytes are one ASN.1 value in DER: minimal lengths, children filling it."""
    try:
        class_, method, tag, header, content, trailer = asn1_parser.parse(data, strict=True)
    except ValueError:
        return False
    if trailer or (class_, tag) == (0, 0):  # end-of-contents (zeros) has no place in DER
        return False
    if asn1_parser.emit(class_, method, tag, content) != data:
        return False
    if method == 1:  # constructed: its children must fill it exactly, each in DER
        pos = 0
        while pos < len(content):
            size = asn1_parser.peek(content[pos:])
            if not _is_der(content[pos : pos + size]):
                return False
            pos += size
    return True


def _container_altered(sig: EmbeddedPdfSignature) -> bool:
    # A DER parser stops at the end of the CMS container and tolerates odd lengths inside it, and
    # pyHanko reads the signer's identifier by meaning and ignores the version fields. None of
    # these bytes is signed, so a change to them would go unnoticed: accept only what a conforming
    # signer writes, canonical DER followed by zeros (RFC 5652 §5.1 and §5.3 for the versions).
    contents = sig.pkcs7_content
    end = asn1_parser.peek(contents)
    if contents[end:].strip(b"\x00"):
        return True
    if not _is_der(contents[:end]):
        return True
    signed_data, signer_info = sig.signed_data, sig.signer_info
    sid = signer_info["sid"]
    if sid.name == "issuer_and_serial_number":
        cert = sig.signer_cert
        if sid.chosen["issuer"].dump() != cert.issuer.dump():
            return True
        expected = "v1"
    else:
        expected = "v3"
    if signer_info["version"].native != expected:
        return True
    data = signed_data["encap_content_info"]["content_type"].native == "data"
    return signed_data["version"].native != ("v1" if expected == "v1" and data else "v3")


def _unsigned_parts_altered(sig: EmbeddedPdfSignature, status: PdfSignatureStatus) -> bool:
    # The certificate bag and the digest algorithm list of a CMS container are not covered by the
    # signature: accept them only as they were written, i.e. the certificates of the chain that
    # was just validated and the one digest algorithm that the signer used.
    chain = {cert.dump() for cert in status.validation_path.iter_certs(include_root=True)}
    if any(cert.dump() not in chain for cert in sig.other_embedded_certs):
        return True
    algorithms = {alg.dump() for alg in sig.signed_data["digest_algorithms"]}
    return algorithms != {sig.signer_info["digest_algorithm"].dump()}


def _check(
    sig: EmbeddedPdfSignature, at: datetime.datetime | None
) -> tuple[PdfSignatureStatus | None, str]:
    altered = _("The signature container was altered.")
    if _container_altered(sig):
        return None, altered
    context = ValidationContext(trust_roots=list(trust_roots()), allow_fetching=False, moment=at)
    status = validate_pdf_signature(sig, context)
    if not status.intact:
        return status, _("The content was changed after signing.")
    if not status.valid:
        return status, _("The signature does not match its certificate.")
    if not status.trusted:
        return status, _("The signer's certificate does not chain to a trusted root.")
    if not status.bottom_line:
        return status, _("Changes after signing break the document's policy.")
    if _unsigned_parts_altered(sig, status):
        return status, altered
    return status, ""


def _verify(data: bytes, at: datetime.datetime | None) -> SignatureCheck:
    reader = PdfFileReader(io.BytesIO(data))
    signatures = reader.embedded_signatures
    if not signatures:
        return _invalid(_("The PDF is not signed."))
    status = None
    for sig in signatures:
        status, problem = _check(sig, at)
        if problem:
            return _invalid(problem)
    # The last signature must cover every byte: anything appended after it is unsigned.
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return _invalid(_("Content was appended after the last signature."))
    subject = status.signing_cert.subject.native
    return SignatureCheck(
        valid=True,
        reason=_("The signature is valid."),
        signer=subject.get("common_name") or status.signing_cert.subject.human_friendly,
        signed_at=status.signer_reported_dt,
    )


def pdf_verify(*, data: bytes, at: datetime.datetime | None = None) -> SignatureCheck:
    """Return whether the PDF is signed, unchanged since signing, and by a key trusted at a time.

    ``at`` is the moment at which the certificates must be valid (now by default).
    """
    try:
        return _verify(data, at)
    except Exception as exc:  # any damage to the file is a verdict, never a crash
        logger.info("PDF verification failed: %s", exc, exc_info=True)
        return _invalid(
            _("The PDF or its signature cannot be read (%(error)s).")
            % {"error": exc.__class__.__name__}
        )


def document_check(*, document: SignedDocument) -> DocumentCheck:
    """Return whether a stored record's file matches its SHA-256 and carries a valid signature."""
    if not document.is_ready:
        return DocumentCheck(False, _invalid(_("The document is not ready.")))
    try:
        with document.file.storage.open(document.file.name, "rb") as f:
            data = f.read()
    except (OSError, ValueError):
        logger.warning("Stored file of document %s is missing", document.public_id)
        return DocumentCheck(False, _invalid(_("The stored file is missing.")))
    intact = hashlib.sha256(data).hexdigest() == document.sha256
    # A record stays valid after the signing certificate expires: its certificates are checked at
    # the signing time that this server recorded, not at the time claimed inside the file.
    return DocumentCheck(file_intact=intact, signature=pdf_verify(data=data, at=document.signed_at))
