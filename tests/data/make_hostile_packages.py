"""Re-create the hostile and broken archival packages in tests/data/hostile_packages/.

Run from the project root:

    .venv/bin/python tests/data/make_hostile_packages.py           # write what changed
    .venv/bin/python tests/data/make_hostile_packages.py --check   # exit 1 if a file is stale

Every file is byte-for-byte reproducible (fixed zip timestamps). What each attacks, and
what an import must answer, is in ``EXPECTED`` (read by tests/unit/archive/
test_hostile_packages.py): the import refuses each, and writes nothing outside its work
folder.
"""

from __future__ import annotations

import io
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from archive.eni import EniDocument, EniExpediente, documento_xml, expediente_xml

HERE = Path(__file__).parent / "hostile_packages"
STAMP = (2026, 1, 1, 0, 0, 0)
MOMENT = datetime(2026, 1, 1, tzinfo=UTC)

# file -> (what it attacks, the error code the import answers)
EXPECTED: dict[str, tuple[str, str]] = {
    "not_a_zip.zip": ("random bytes with a .zip name", "bad_package"),
    "zip_slip_bag.zip": ("a bag member named ../escape.txt, to write outside", "bad_package"),
    "zip_slip_eni.zip": ("an ENI member named ../../escape.pdf", "bad_package"),
    "two_bags.zip": ("two top folders: which one is the package?", "bad_package"),
    "neither.zip": ("a zip with a text file: neither a bag nor an expediente", "bad_package"),
    "eni_billion_laughs.zip": ("expediente.xml with nested entities (an XML bomb)", "bad_eni"),
    "eni_external_entity.zip": ("expediente.xml reading /etc/passwd through an entity", "bad_eni"),
    "eni_bad_seal.zip": ("an index whose TF04 signature is not CMS at all", "refused"),
    "eni_missing_document.zip": ("the index lists a document the zip lacks", "bad_package"),
}


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, STAMP)
            archive.writestr(info, data)
    return out.getvalue()


def _expediente(sign: bytes, kind: str = "TF04") -> bytes:
    document = EniDocument(
        identifier="ES_EA9999999_2026_0123456789abcdef0123456789abcdef",
        organ="EA9999999",
        captured_at=MOMENT,
        content_file="documento.pdf",
        format_name="pdf",
        sha256="00" * 32,
        added_at=MOMENT,
        order=1,
    )
    expediente = EniExpediente(
        identifier="ES_EA9999999_2026_EXP_0123456789abcdef0123456789abcdef",
        organ="EA9999999",
        opened_at=MOMENT,
        classification="SIN_CLASIFICAR",
        state="E02",
        indexed_at=MOMENT,
        documents=(document,),
    )
    xml = expediente_xml(expediente, lambda _: sign)
    return xml.replace(b"<enids:TipoFirma>TF04<", f"<enids:TipoFirma>{kind}<".encode())


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<expediente>&lol9;</expediente>
"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE expediente [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
<expediente><indice><IndiceContenido>&secret;</IndiceContenido></indice></expediente>
"""


def build() -> dict[str, bytes]:
    bag = "paquete/"
    return {
        "not_a_zip.zip": bytes(range(256)) * 4,
        "zip_slip_bag.zip": _zip(
            [(f"{bag}bagit.txt", b"BagIt-Version: 1.0\n"), ("../escape.txt", b"escaped")]
        ),
        "zip_slip_eni.zip": _zip(
            [("expediente.xml", _expediente(b"x")), ("../../escape.pdf", b"%PDF-1.7 escaped")]
        ),
        "two_bags.zip": _zip(
            [("uno/bagit.txt", b"BagIt-Version: 1.0\n"), ("dos/bagit.txt", b"BagIt-Version: 1.0\n")]
        ),
        "neither.zip": _zip([("hola.txt", b"nada")]),
        "eni_billion_laughs.zip": _zip([("expediente.xml", BOMB)]),
        "eni_external_entity.zip": _zip([("expediente.xml", EXTERNAL)]),
        "eni_bad_seal.zip": _zip([("expediente.xml", _expediente(b"not a CMS signature"))]),
        "eni_missing_document.zip": _zip(
            [
                ("expediente.xml", _expediente(b"", kind="TF02")),
                ("documentos/otro.xml", documento_xml(_other())),
            ]
        ),
    }


def _other() -> EniDocument:
    return EniDocument(
        identifier="ES_EA9999999_2026_ffffffffffffffffffffffffffffffff",
        organ="EA9999999",
        captured_at=MOMENT,
        content_file="otro.pdf",
        format_name="pdf",
        sha256="11" * 32,
        added_at=MOMENT,
        order=1,
    )


def main(argv: list[str]) -> int:
    check = "--check" in argv
    HERE.mkdir(exist_ok=True)
    stale = []
    for name, data in build().items():
        path = HERE / name
        if path.exists() and path.read_bytes() == data:
            continue
        stale.append(name)
        if not check:
            path.write_bytes(data)
    if check and stale:
        print("stale:", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
