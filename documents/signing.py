"""PAdES signatures (SHA-256) with the institution's key, and the development CA of the embedded default.

The institution's key signs every record; the person who acted and their role are shown in the
visible stamp. Production names a PKCS#12 file (SIGNING_P12, SIGNING_P12_PASSWORD) and its trust
roots (SIGNING_TRUST_ROOTS); the embedded default uses SIGNING_DIR/signing.p12 and SIGNING_DIR/ca.pem,
written by ``manage.py signing_init``.
"""

import datetime
import functools
import io
import os
import re
import weakref
from dataclasses import dataclass
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone, translation
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from schools.templatetags.thai import thai_date

from .render import BANGKOK, FONT_REGULAR

SIGNATURE_FIELD = "OpenDMC"
# Bottom right of the last page, in the bottom margin that every record template keeps free
# (x1, y1, x2, y2 in PDF points on A4 = 595 × 842).
STAMP_BOX = (335, 18, 565, 84)
STAMP_TEXT = "ลงนามโดย %(name)s\n%(role)s\nเมื่อ %(when)s น. (เวลาประเทศไทย)"
DEV_P12 = "signing.p12"
DEV_CA = "ca.pem"


@dataclass(frozen=True)
class SigningConfig:
    """Where the signing key and the trust roots are."""

    p12_path: Path
    password: bytes | None
    trust_root_paths: tuple[Path, ...]


@dataclass(frozen=True)
class DevelopmentKeys:
    """The files written by development_keys_create."""

    p12_path: Path
    ca_path: Path


def signing_config() -> SigningConfig:
    """Return the signing key and trust roots named by the settings (the development CA by default)."""
    password = settings.SIGNING_P12_PASSWORD
    password_bytes = password.encode() if isinstance(password, str) else password
    roots = tuple(Path(p) for p in settings.SIGNING_TRUST_ROOTS)
    if settings.SIGNING_P12:
        if not roots:
            raise ImproperlyConfigured(
                "Set SIGNING_TRUST_ROOTS (the CA certificates, PEM) along with SIGNING_P12."
            )
        return SigningConfig(Path(settings.SIGNING_P12), password_bytes, roots)
    directory = Path(settings.SIGNING_DIR)
    return SigningConfig(directory / DEV_P12, password_bytes, roots or (directory / DEV_CA,))


class InstitutionSigner(signers.SimpleSigner):
    """A pyHanko SimpleSigner that keeps its private key parsed.

    SimpleSigner parses the DER private key again for every raw signature, twice per document
    (a dry run sizes the container), and parsing validates an RSA key: about 0.1 s each time.
    """

    _HASHES = {"sha256": hashes.SHA256, "sha384": hashes.SHA384, "sha512": hashes.SHA512}

    def __init__(self, *, private_key: PrivateKeyTypes, **kwargs):
        super().__init__(**kwargs)
        self.private_key = private_key

    @classmethod
    def from_pkcs12(cls, data: bytes, password: bytes | None) -> "InstitutionSigner":
        """Return the signer of a PKCS#12 archive: its key, its certificate and the chain."""
        key, cert, others = pkcs12.load_key_and_certificates(data, password)
        if key is None or cert is None:
            raise ValueError("The PKCS#12 archive holds no key or no certificate.")
        # Embed the issuer chain only: verification refuses certificates outside the chain.
        registry = SimpleCertificateStore()
        registry.register_multiple(_to_asn1(c) for c in _issuer_chain(cert, others))
        der_key = key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return cls(
            private_key=key,
            signing_key=asn1_keys.PrivateKeyInfo.load(der_key),
            signing_cert=_to_asn1(cert),
            cert_registry=registry,
        )

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        try:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        except ValueError:
            mechanism = ""
        hash_class = self._HASHES.get(digest_algorithm.lower())
        key = self.private_key
        if hash_class and mechanism == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, PKCS1v15(), hash_class())
        if hash_class and mechanism == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_class()))
        return super().sign_raw(data, digest_algorithm)  # PSS, EdDSA…: pyHanko's own path


def _issuer_chain(cert: x509.Certificate, others: list[x509.Certificate]) -> list[x509.Certificate]:
    chain = []
    while cert.issuer != cert.subject:
        cert = next((c for c in others if c.subject == cert.issuer and c not in chain), None)
        if cert is None:
            break
        chain.append(cert)
    return chain


def _to_asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def signer_get() -> InstitutionSigner:
    """Return the institution's signer, loaded once per process."""
    config = signing_config()
    return _load_signer(str(config.p12_path), config.password)


@functools.lru_cache(maxsize=4)
def _load_signer(path: str, password: bytes | None) -> InstitutionSigner:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(
            f"No signing key at {path}: run `python manage.py signing_init` or set SIGNING_P12."
        ) from exc
    try:
        return InstitutionSigner.from_pkcs12(data, password)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"Cannot read the signing key {path} (wrong SIGNING_P12_PASSWORD?)."
        ) from exc


def trust_roots() -> tuple[asn1_x509.Certificate, ...]:
    """Return the certificates that a valid record's signature must chain to."""
    return _load_roots(signing_config().trust_root_paths)


@functools.lru_cache(maxsize=4)
def _load_roots(paths: tuple[Path, ...]) -> tuple[asn1_x509.Certificate, ...]:
    try:
        return tuple(load_certs_from_pemder([str(p) for p in paths]))
    except OSError as exc:
        raise ImproperlyConfigured(
            f"Trust root not found ({', '.join(map(str, paths))}): "
            "run `python manage.py signing_init` or set SIGNING_TRUST_ROOTS."
        ) from exc


def trust_roots_pem() -> str:
    """Return the trust roots in PEM, as `manage.py signing_ca` prints them."""
    return "".join(
        x509.load_der_x509_certificate(cert.dump())
        .public_bytes(serialization.Encoding.PEM)
        .decode()
        for cert in trust_roots()
    )


class StampFont(GlyphAccumulatorFactory):
    """pyHanko's OpenType engine for the stamp, without the font's layout tables in its subset.

    HarfBuzz shapes the Thai text from the font file's bytes; pyHanko then embeds a subset of the
    glyphs it used, dropping GSUB, GPOS and GDEF, but fontTools decompiled those tables first: about
    100 ms of every signature (5× the rest of the subset). Removing them from the engine's parsed
    copy before anything reads them gives the same embedded font.
    """

    LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF")

    def create_font_engine(self, writer, obj_stream=None):
        engine = super().create_font_engine(writer, obj_stream)
        for tag in self.LAYOUT_TABLES:
            if tag in engine.tt:
                del engine.tt[tag]
        return engine


@functools.cache
def _stamp_style() -> TextStampStyle:
    # The stamp shapes Thai with HarfBuzz and embeds a Sarabun subset (pyHanko's OpenType engine).
    font = StampFont(str(FONT_REGULAR), font_size=9)
    return TextStampStyle(
        stamp_text=STAMP_TEXT,
        border_width=1,
        text_box_style=TextBoxStyle(font=font, font_size=9, leading=13),
    )


def stamp_time(signed_at: datetime.datetime) -> str:
    """Return the signing time as the stamp prints it: Buddhist year, Bangkok time."""
    with translation.override("th"):
        return thai_date(timezone.localtime(signed_at, BANGKOK))


def pdf_sign(
    *,
    pdf: bytes,
    actor_name: str,
    actor_role: str,
    signed_at: datetime.datetime,
    reason: str,
    signer: signers.SimpleSigner | None = None,
) -> bytes:
    """Return the PDF certified with a PAdES signature and a visible stamp on its last page."""
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        # A certification signature that allows no change: any later edit breaks it.
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        reason=reason[:200],
        location="ประเทศไทย",
        name=actor_name,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer or signer_get(),
        stamp_style=_stamp_style(),
        new_field_spec=fields.SigFieldSpec(
            sig_field_name=SIGNATURE_FIELD, on_page=-1, box=STAMP_BOX
        ),
    )
    signer = pdf_signer.signer
    out = pdf_signer.sign_pdf(
        IncrementalPdfFileWriter(io.BytesIO(pdf)),
        appearance_text_params={
            "name": actor_name,
            "role": actor_role,
            "when": stamp_time(signed_at),
        },
        bytes_reserved=_reserved.get(signer),
    ).getvalue()
    if signer not in _reserved:
        _reserved[signer] = reserved_size(out)
    return out


# The room a signer's signature takes in the PDF. pyHanko finds it by building and dumping a whole
# dummy signature container before the real one (about a third of the signing time); with no
# timestamp server, the container of one signer has the same size every time, so it is measured
# once, on the signer's first record, and reused.
_reserved: "weakref.WeakKeyDictionary[signers.Signer, int]" = weakref.WeakKeyDictionary()
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+\d+\s*\]")


def reserved_size(pdf: bytes) -> int:
    """Return the room reserved for the signature of a signed PDF (hex digits, as pyHanko counts)."""
    *_, match = _BYTE_RANGE.finditer(pdf)
    before, after = int(match.group(1)), int(match.group(2))
    return after - before - 2  # the hex string between its < and >


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TH"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, signer: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=signer,
        content_commitment=signer,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=not signer,
        crl_sign=not signer,
        encipher_only=False,
        decipher_only=False,
    )


def development_keys_create(
    *,
    directory: Path,
    organisation: str = "OpenDMC (development)",
    signer_name: str = "OpenDMC ลงนามเอกสาร (ทดสอบ)",  # ≤ 64 bytes: an X.509 common name
    password: bytes | None = None,
    valid_from: datetime.datetime | None = None,
) -> DevelopmentKeys:
    """Write a self-signed development CA (ca.pem) and a signing key issued by it (signing.p12).

    Both are valid from a day ago, or from valid_from: a test suite that freezes its clock at fixed
    dates signs at those dates, which real time leaves behind."""
    now = datetime.datetime.now(datetime.UTC)
    valid_from = valid_from or now - datetime.timedelta(days=1)
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    ca_name = _name(f"{organisation} Root CA", organisation)
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(signer=False), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(signer_name, organisation))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid_from)
        .not_valid_after(now + datetime.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(signer=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    p12 = pkcs12.serialize_key_and_certificates(b"opendmc-signer", key, cert, [ca_cert], encryption)
    directory.mkdir(parents=True, exist_ok=True)
    keys = DevelopmentKeys(p12_path=directory / DEV_P12, ca_path=directory / DEV_CA)
    keys.ca_path.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    # The key file is written last: its presence means the pair is complete.
    fd = os.open(keys.p12_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(p12)
    return keys


def development_keys_exist(directory: Path) -> bool:
    """Return whether the development CA and signing key are already in the directory."""
    return (directory / DEV_P12).exists() and (directory / DEV_CA).exists()
