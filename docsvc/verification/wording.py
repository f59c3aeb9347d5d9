"""A verification report in plain words, in Spanish or English: the public page and the
sealed PDF report say the same things.

The report's reasons come from ``signing.verification`` as English sentences built from a
small set of phrases. Spanish replaces those phrases, longest first; dates, names and
anything not listed stay as they are, so a new reason reads half in English rather than
being lost.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

VERDICTS: dict[str, dict[str, str]] = {
    "es": {
        "valid": "Válida",
        "invalid": "No válida",
        "indeterminate": "Indeterminada",
    },
    "en": {"valid": "Valid", "invalid": "Not valid", "indeterminate": "Indeterminate"},
}

# What the document's verdict means, in a sentence.
SUMMARIES: dict[str, dict[str, str]] = {
    "es": {
        "valid": "Todas las firmas son válidas y el documento no cambió después de firmarse.",
        "invalid": "Al menos una firma no es válida: no confíe en este documento.",
        "indeterminate": ("No se pudo confirmar la validez: vea los motivos de cada firma."),
    },
    "en": {
        "valid": "Every signature is valid and the document has not changed since it was signed.",
        "invalid": "At least one signature is not valid: do not rely on this document.",
        "indeterminate": "Validity could not be confirmed: see each signature's reasons.",
    },
}

MODIFICATIONS: dict[str, dict[str, str]] = {
    "es": {
        "none": "ninguno",
        "lta_updates": "solo datos de validación y sellos de tiempo",
        "form_filling": "relleno de formularios y firmas posteriores",
        "annotations": "anotaciones",
        "other": "otros cambios",
    },
    "en": {
        "none": "none",
        "lta_updates": "validation data and timestamps only",
        "form_filling": "form filling and later signatures",
        "annotations": "annotations",
        "other": "other changes",
    },
}

COPIES: dict[str, dict[str, str]] = {
    "es": {
        "identical": "Es idéntico, bit a bit, a la versión {version} (la última) del documento "
        "registrado con el código {code}.",
        "earlier_version": "Es idéntico a la versión {version} del documento registrado con el "
        "código {code}, que tiene una versión más reciente ({latest}).",
        "later_revision": "Contiene la versión {version} del documento registrado con el código "
        "{code}, con cambios añadidos después que el registro no conoce.",
        "unknown": "No coincide con ningún documento registrado en esta institución.",
    },
    "en": {
        "identical": "It is bit-for-bit identical to version {version} (the latest) of the "
        "document registered with code {code}.",
        "earlier_version": "It is identical to version {version} of the document registered "
        "with code {code}, which has a later version ({latest}).",
        "later_revision": "It contains version {version} of the document registered with code "
        "{code}, with changes appended afterwards that the register does not know.",
        "unknown": "It matches no document registered at this institution.",
    },
}

# Phrases of signing.verification's reasons, longest first so that a phrase is replaced
# before any shorter one inside it.
_SPANISH_PHRASES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        {
            "the document has no signature": "el documento no tiene ninguna firma",
            "the signed bytes were changed after signing": (
                "los bytes firmados se cambiaron después de la firma"
            ),
            "the cryptographic signature does not verify": "la firma criptográfica no se verifica",
            "the signature timestamp does not match the signature": (
                "el sello de tiempo no corresponde a la firma"
            ),
            "the signature timestamp's own signature does not verify": (
                "la firma del propio sello de tiempo no se verifica"
            ),
            "untrusted timestamp: the timestamp authority's certificate is not valid under "
            "the configured trust anchors": (
                "sello de tiempo no confiable: el certificado de la autoridad de sellado de "
                "tiempo no es válido bajo las anclas de confianza configuradas"
            ),
            "no configured trust anchor issued the signer's certificate": (
                "ninguna ancla de confianza configurada emitió el certificado del firmante"
            ),
            "(its issuer: ": "(su emisor: ",
            "untrusted: ": "no confiable: ",
            "the signer's certificate is not fit for signing or its chain breaks a constraint": (
                "el certificado del firmante no sirve para firmar o su cadena incumple una "
                "restricción"
            ),
            "the chain uses an algorithm no longer accepted": (
                "la cadena usa un algoritmo que ya no se acepta"
            ),
            "no usable revocation information for the signer's certificate": (
                "no hay información de revocación utilizable para el certificado del firmante"
            ),
            "the signer's certificate chain is not valid": (
                "la cadena de certificados del firmante no es válida"
            ),
            "the document was modified after signing": (
                "el documento se modificó después de la firma"
            ),
            "(annotations)": "(anotaciones)",
            "(other)": "(otros cambios)",
            "the document was changed in a way its certification signature does not allow": (
                "el documento cambió de una forma que su firma de certificación no permite"
            ),
            "a CA certificate in the signer's chain": (
                "un certificado de CA de la cadena del firmante"
            ),
            "the signer's certificate was revoked later, on ": (
                "el certificado del firmante se revocó más tarde, el "
            ),
            "; the timestamp proves the signature was made before, on ": (
                "; el sello de tiempo prueba que la firma se hizo antes, el "
            ),
            "the signer's certificate had expired when the document was signed: it expired on ": (
                "el certificado del firmante había caducado cuando se firmó el documento: "
                "caducó el "
            ),
            "the signer's certificate was not yet valid when the document was signed: it is "
            "valid from ": (
                "el certificado del firmante aún no era válido cuando se firmó el documento: "
                "es válido desde el "
            ),
            "the signer's certificate is valid only from ": (
                "el certificado del firmante solo es válido desde el "
            ),
            ", and no timestamp proves the signature was made then": (
                ", y ningún sello de tiempo prueba que la firma se hizo en ese plazo"
            ),
            ", but no timestamp proves the signature was made before the revocation": (
                ", pero ningún sello de tiempo prueba que la firma se hizo antes de la revocación"
            ),
            "the timestamped signing time": "la hora de firma probada por el sello de tiempo",
            "the signing time the signer claims": "la hora de firma que declara el firmante",
            "the signer's certificate": "el certificado del firmante",
            " was revoked on ": " se revocó el ",
            ", before ": ", antes de ",
            ", after ": ", después de ",
            " to ": " hasta el ",
            ", and ": ", y ",
            " is ": " es ",
            "signed by ": "firmado por ",
            " as stand-in for ": " como suplente de ",
            "key compromise": "compromiso de la clave",
            "unspecified": "sin especificar",
            # signing.chain_diagnosis
            ", a root that is not a trust anchor)": (", una raíz que no es un ancla de confianza)"),
            "; its chain ends at the root ": "; su cadena termina en la raíz ",
            ", which is not a trust anchor": ", que no es un ancla de confianza",
            "; the certificate of ": "; el certificado de ",
            " is neither a trust anchor nor in the file": (
                " no es un ancla de confianza ni está en el archivo"
            ),
            "the signer's certificate is self-signed (": (
                "el certificado del firmante es autofirmado ("
            ),
            ") and is not among the configured trust anchors": (
                ") y no está entre las anclas de confianza configuradas"
            ),
            "the signer's certificate is not meant for signing (its key usage: ": (
                "el certificado del firmante no está destinado a firmar (su uso de clave: "
            ),
            " issued a certificate in the signer's chain but is not a certification authority": (
                " emitió un certificado de la cadena del firmante, pero no es una autoridad de "
                "certificación"
            ),
            "the signer's certificate chain breaks a constraint of its issuers": (
                "la cadena de certificados del firmante incumple una restricción de sus emisores"
            ),
            "digital_signature": "firma digital",
            "non_repudiation": "no repudio",
            "key_encipherment": "cifrado de claves",
            "data_encipherment": "cifrado de datos",
            "key_agreement": "acuerdo de claves",
            "key_cert_sign": "firma de certificados",
            "crl_sign": "firma de listas de revocación",
            "encipher_only": "solo cifrado",
            "decipher_only": "solo descifrado",
            # signing.verification: the file's end, broken signatures
            " bytes holding PDF objects were appended after the last revision without a valid "
            "cross-reference section: readers that repair files show them": (
                " bytes con objetos PDF se añadieron después de la última revisión sin una "
                "sección de referencias cruzadas válida: los lectores que reparan archivos los "
                "muestran"
            ),
            "the signature cannot be read": "la firma no se puede leer",
            "the signature cannot be verified": "la firma no se puede verificar",
            "the signature format ": "el formato de firma ",
            "the signature cannot be checked with the algorithm it declares": (
                "la firma no se puede comprobar con el algoritmo que declara"
            ),
            "the signer's certificate is neither in the signature nor in the file": (
                "el certificado del firmante no está ni en la firma ni en el archivo"
            ),
            " is not supported": " no está admitido",
            # signing.form_changes: shadow attacks through form fields
            "the appearance of form field ": "la apariencia del campo de formulario ",
            " was replaced after signing while its value stayed as signed: the page no longer "
            "shows what was signed": (
                " se reemplazó después de la firma sin que cambiara su valor: la página ya no "
                "muestra lo que se firmó"
            ),
            "filling in form field ": "rellenar el campo de formulario ",
            " after signing uncovered page content that its signed appearance hid": (
                " después de la firma descubrió contenido de la página que su apariencia firmada "
                "ocultaba"
            ),
            "page ": "la página ",
            " shows content that differs from what was signed, outside the form fields filled "
            "in after signing": (
                " muestra contenido distinto del firmado, fuera de los campos de formulario "
                "rellenados después de la firma"
            ),
            "the form was changed after signing and the pages cannot be drawn to compare them": (
                "el formulario cambió después de la firma y no se pueden dibujar las páginas "
                "para compararlas"
            ),
            "form field ": "el campo de formulario ",
            " shows the state ": " muestra el estado ",
            ", not its value ": ", no su valor ",
            " shows ": " muestra ",
        }.items(),
        key=lambda pair: -len(pair[0]),
    )
)
_SPANISH = re.compile("|".join(re.escape(english) for english, _ in _SPANISH_PHRASES))
_SPANISH_OF = dict(_SPANISH_PHRASES)


def reason(text: str, lang: str) -> str:
    if lang != "es":
        return text
    spanish = _SPANISH.sub(lambda match: _SPANISH_OF[match.group(0)], text)
    return spanish[:1].upper() + spanish[1:]


# The deviations a lenient reading tolerated (signing.lenient_reading), by code.
WARNINGS: dict[str, dict[str, str]] = {
    "es": {
        "timestamp_dictionary_type": (
            "El sello de tiempo del documento en el campo {subject} no declara el tipo "
            "/DocTimeStamp que pide la norma; se verificó como tal."
        ),
        "signature_dictionary_type": (
            "La firma del campo {subject} declara un tipo distinto de /Sig; se verificó como firma."
        ),
        "dangling_reference": (
            "El archivo remite al objeto {subject}, que no existe; se leyó como nulo, como "
            "indica la norma PDF."
        ),
        "field_name_period": (
            "El nombre del campo de formulario {subject} contiene un punto, que la norma PDF no "
            "permite."
        ),
        "trailing_bytes": (
            "Los {subject} bytes que siguen al final del archivo no forman parte del documento."
        ),
        "signing_certificate_outside_signature": (
            "La firma del campo {subject} no contiene el certificado del firmante; se tomó del "
            "almacén de validación (DSS) del documento."
        ),
        "pdf_syntax": (
            "El archivo se aparta de la sintaxis PDF en un punto que se leyó con tolerancia."
        ),
    },
    "en": {
        "timestamp_dictionary_type": (
            "The document timestamp in field {subject} does not say /DocTimeStamp, as the "
            "standard asks; it was verified as one."
        ),
        "signature_dictionary_type": (
            "The signature in field {subject} has a type other than /Sig; it was verified as "
            "a signature."
        ),
        "dangling_reference": (
            "The file refers to object {subject}, which does not exist; it was read as null, "
            "as the PDF standard says."
        ),
        "field_name_period": (
            "The form field name {subject} contains a period, which the PDF standard forbids."
        ),
        "trailing_bytes": "The {subject} bytes after the end of the file are not part of it.",
        "signing_certificate_outside_signature": (
            "The signature in field {subject} does not hold its signer's certificate; it was "
            "taken from the document's security store (DSS)."
        ),
        "pdf_syntax": "The file departs from the PDF syntax at a point that was read leniently.",
    },
}


def warning(item: Mapping[str, Any], lang: str) -> str:
    """A deviation the verifier read leniently, in plain words."""
    template = WARNINGS[lang].get(str(item.get("code")))
    if template is None:
        return str(item.get("message", "")) if lang == "en" else WARNINGS[lang]["pdf_syntax"]
    return template.format(subject=item.get("subject", ""))


def verdict(value: str, lang: str) -> str:
    return VERDICTS[lang].get(value, value)


def summary(value: str, lang: str) -> str:
    return SUMMARIES[lang].get(value, "")


def modifications(value: str, lang: str) -> str:
    return MODIFICATIONS[lang].get(value, value)


def copy_check(copy: Mapping[str, Any], lang: str) -> str:
    template = COPIES[lang].get(str(copy.get("status")), "")
    return template.format(
        version=copy.get("version"),
        latest=copy.get("latest_version"),
        code=copy.get("verification_code"),
    )


_COMMON_NAME = re.compile(r"(?:^|, )Common Name: (.+?)(?:, [A-Z][A-Za-z ]+: |$)")


def person(subject: str) -> str:
    """The common name in asn1crypto's human-friendly subject ("Common Name: Ana Rojas,
    Title: ..."), or the whole subject when it has none."""
    found = _COMMON_NAME.search(subject)
    return found.group(1) if found else subject
