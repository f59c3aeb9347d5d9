"""Interface strings in Spanish (default) and English."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

LANGUAGES = ("es", "en")
LANG_COOKIE = "docsvc_lang"

MESSAGES: dict[str, dict[str, str]] = {
    "es": {
        "app_name": "Registro de documentos oficiales",
        "login_title": "Iniciar sesión",
        "username": "Usuario",
        "password": "Contraseña",
        "login_button": "Entrar",
        "logout": "Cerrar sesión",
        "bad_credentials": "Usuario o contraseña incorrectos.",
        "csrf_failed": "La sesión del formulario caducó. Vuelva a intentarlo.",
        "documents": "Documentos",
        "title": "Título",
        "type": "Tipo",
        "department": "Unidad",
        "confidentiality": "Confidencialidad",
        "version": "Versión",
        "created": "Creado",
        "download": "Descargar",
        "no_documents": "No hay documentos visibles.",
        "signed_in_as": "Sesión de",
        "language": "Idioma",
        "skip_to_content": "Saltar al contenido",
        "letter": "Oficio",
        "resolution": "Resolución",
        "request": "Solicitud",
        "payment_order": "Orden de pago",
        "report": "Informe",
        "other": "Otro",
        "public": "Público",
        "internal": "Interno",
        "confidential": "Confidencial",
    },
    "en": {
        "app_name": "Official records register",
        "login_title": "Log in",
        "username": "Username",
        "password": "Password",
        "login_button": "Log in",
        "logout": "Log out",
        "bad_credentials": "Wrong username or password.",
        "csrf_failed": "The form expired. Please try again.",
        "documents": "Documents",
        "title": "Title",
        "type": "Type",
        "department": "Department",
        "confidentiality": "Confidentiality",
        "version": "Version",
        "created": "Created",
        "download": "Download",
        "no_documents": "No visible documents.",
        "signed_in_as": "Signed in as",
        "language": "Language",
        "skip_to_content": "Skip to content",
        "letter": "Letter",
        "resolution": "Resolution",
        "request": "Request",
        "payment_order": "Payment order",
        "report": "Report",
        "other": "Other",
        "public": "Public",
        "internal": "Internal",
        "confidential": "Confidential",
    },
}


def language_of(request: Request, default: str = "es") -> str:
    """?lang= wins, then the language cookie, then the institution's default (Spanish)."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return candidate
    return default if default in LANGUAGES else "es"


def translator(lang: str) -> Callable[[str], str]:
    table = MESSAGES.get(lang, MESSAGES["es"])

    def translate(key: str) -> str:
        return table.get(key, MESSAGES["es"].get(key, key))

    return translate
