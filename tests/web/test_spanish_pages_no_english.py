"""The pages in Spanish say nothing in English: every word comes from the one catalogue,
including what the services keep as English identifiers (document types, version reasons,
statuses, signing-step roles, error codes, a certificate's name labels), and every moment is
the institution's local time in words, never an ISO timestamp or UTC.

The main pages are rendered with the demo institution after a day's work (a dossier sealed
twice, a document signed from its page, a signing line awaiting signature, a transfer with
a deadline, a register entry, a verification), and with the errors they show.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient

from docsvc.app import create_app
from docsvc.demo.seed import DEMO_PASSWORD, DEMO_PIN, PAYMENT_DOSSIER_TITLE
from tests.support.backends import Backend, build_backend
from tests.support.jobs import wait_for_seal
from tests.support.pages import csrf_of
from tests.support.pdfs import unique_pdf

Auth = Callable[[str], dict[str, str]]

# Words and phrases of the English interface, and of what the services write in English,
# that have no business on a Spanish page (whole words, any case).
ENGLISH = re.compile(
    r"\b("
    r"the|and|with|by|for|of|from|is|was|has|not|this|that|your|you|no such|not found"
    r"|created|signed|pending|other|report|letter|resolution|request|approval|certification"
    r"|approved|reviewed|prepared|subject|issuer|common name|organization|country|user id|title"
    r"|download|version|document|signature|reason|deadline|overdue|inbox|wrong pin"
    r"|could not|check the|try again"
    r")\b",
    re.IGNORECASE,
)
# An ISO-8601 date or timestamp, or a time said in UTC.
MACHINE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}(\.\d+)?\+00:00|\bUTC\b")
# Identifiers shown as they are stored, between tags.
RAW_VALUES = (">other<", ">report<", ">letter<", ">created<", ">approved<", ">reviewed<")
# Words of the Spanish interface that have no business on an English page (the records'
# own titles, names and departments are Spanish, and stay so).
SPANISH = re.compile(
    r"\b("
    r"descargar|firmar|bandeja|versión|versiones|plazo|remitir|remisi[oó]n|remisiones"
    r"|expedientes|cerrar sesi[oó]n|buscar|subir|guardar|pendiente|firmad[oa]s?|devuelt[oa]"
    r"|confidencialidad|unidad|usuario|contraseña|motivo|volver|cancelar|añadir|quitar"
    r"|hay un problema|suplencias|tablero|auditor[ií]a|administraci[oó]n|registro de"
    r"|enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre"
    r"|diciembre|lunes|martes|miércoles|jueves|viernes|hoy|ayer|creado|sin|ninguno|ninguna"
    r"|documentos|verificar|página|inicio|asiento|justificante|entrada|salida|solicitar"
    r")\b",
    re.IGNORECASE,
)
# What the demo institution's records say in Spanish: their data, not the interface.
SPANISH_DATA = re.compile(
    r"Expediente de pago[^<]*|Bono de Protección Social[^<]*|noviembre 2026|Revisar y responder"
    r"|Solicitud ciudadana|Oficio para firma|Informe técnico de becas|Nota de archivo"
    r"|Dirección [^<(]*|Subsecretaría [^<(]*|Ministerio de Desarrollo Social|Unidad de [^<(]*"
    r"|Registro [^<(]*\)|Juan Pérez|Viernes Santo"
    r"|Expedientes de pago|Selección de los expedientes|al vencer el plazo"
)
# Where each page of the day's work is, by the records it was made with (for the English
# pages, read once the Spanish ones have made them).
WORLD: dict[str, str] = {}


@pytest.fixture(scope="module")
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """One institution, on the embedded backend only: what a page says does not depend on
    where its records are kept (the page tests in tests/api run on both)."""
    built = build_backend(
        "sqlite-local", tmp_path_factory.mktemp("spanish-pages"), request, pki=True
    )
    yield built
    built.services.close()


@pytest.fixture(scope="module")
def signed_in(backend: Backend) -> Iterator[Callable[[str], TestClient]]:
    """A browser-like client per demo user, logged in through the login form."""
    opened: dict[str, TestClient] = {}

    def open_as(username: str) -> TestClient:
        if username not in opened:
            browser = TestClient(create_app(backend.settings, backend.services))
            browser.__enter__()
            form = browser.get("/login")
            done = browser.post(
                "/login",
                data={
                    "username": username,
                    "password": DEMO_PASSWORD,
                    "csrf_token": csrf_of(form.text),
                },
                follow_redirects=False,
            )
            assert done.status_code == 303, done.text
            opened[username] = browser
        return opened[username]

    yield open_as
    for browser in opened.values():
        browser.__exit__(None, None, None)


def _api(client: TestClient, method: str, url: str, headers: dict[str, str], **kw: Any) -> Any:
    response = client.request(method, url, headers=headers, **kw)
    assert response.status_code in (200, 201), response.text
    return response.json()


def _document(client: TestClient, headers: dict[str, str], doc_type: str, title: str) -> str:
    created = _api(
        client,
        "POST",
        "/api/v1/documents",
        headers,
        data={"doc_type": doc_type, "title": title, "confidentiality": "public"},
        files={"file": ("d.pdf", unique_pdf(title), "application/pdf")},
    )
    return str(created["id"])


@pytest.fixture(scope="module")
def pages(
    backend: Backend, client: TestClient, auth: Auth, signed_in: Callable[[str], TestClient]
) -> dict[str, str]:
    """Every page worth reading, in Spanish (the default), by name."""
    # A dossier sealed, then signed again: its index has the reasons "created" and "index
    # version 2: the dossier was signed again", and its documents are a report and "other".
    listing = _api(client, "GET", "/api/v1/dossiers", auth("preparador"))
    (dossier,) = [d for d in listing["items"] if d["title"] == PAYMENT_DOSSIER_TITLE]
    for steps in (
        [{"signers": [{"user": "preparador"}]}, {"signers": [{"position": "DF:DIR-DF"}]}],
        [{"signers": [{"user": "preparador"}]}],
    ):
        line = _api(
            client,
            "POST",
            "/api/v1/signing-lines",
            auth("preparador"),
            json={"dossier_id": dossier["id"], "steps": steps},
        )
        for signer in ("preparador", "financiero")[: len(steps)]:
            _api(
                client,
                "POST",
                f"/api/v1/signing-lines/{line['id']}/sign",
                auth(signer),
                json={"pin": DEMO_PIN},
            )
        # Its index is made by a job: the next line signs the dossier it sealed.
        wait_for_seal(backend.services.sessions, dossier["id"])
    index_id = _api(client, "GET", f"/api/v1/dossiers/{dossier['id']}", auth("preparador"))[
        "sealed_index_id"
    ]

    # A report signed from its page ("signed by …"), an "other" document beside it.
    legal = signed_in("juridico")
    report = _document(client, auth("juridico"), "report", "Informe técnico de becas")
    _document(client, auth("juridico"), "other", "Nota de archivo")
    page = legal.get(f"/documentos/{report}")
    signed = legal.post(
        f"/documentos/{report}/firmar",
        data={"csrf_token": csrf_of(page.text), "pin": DEMO_PIN},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    wrong_pin = legal.post(
        f"/documentos/{report}/firmar", data={"csrf_token": csrf_of(page.text), "pin": "000000"}
    )
    assert wrong_pin.status_code == 403

    # A signing line awaiting "programas": a stock role, the default one, a deadline.
    letter = _document(client, auth("preparador"), "letter", "Oficio para firma")
    awaiting = _api(
        client,
        "POST",
        "/api/v1/signing-lines",
        auth("preparador"),
        json={
            "document_id": letter,
            "steps": [
                {"role_label": "reviewed", "signers": [{"user": "programas"}], "deadline_days": 3},
                {"signers": [{"user": "financiero"}]},
            ],
        },
    )
    # A transfer with a deadline, and a register entry of the report.
    _api(
        client,
        "POST",
        "/api/v1/transfers",
        auth("juridico"),
        json={
            "document_id": report,
            "to_department": "DPS",
            "purpose": "action",
            "instructions": "Revisar y responder",
            "deadline_days": 2,
            "pin": DEMO_PIN,
        },
    )
    entry = _api(
        client,
        "POST",
        "/api/v1/register/entries",
        auth("registro"),
        json={
            "direction": "incoming",
            "subject": "Solicitud ciudadana",
            "counterpart": "Juan Pérez",
            "document_id": report,
        },
    )

    (in_force,) = [
        t
        for t in _api(client, "GET", "/api/v1/archive/retention-tables", auth("juridico"))
        if t["state"] == "in_force"
    ]
    WORLD.update(
        table=str(in_force["id"]),
        report=report,
        dossier=str(dossier["id"]),
        index=str(index_id),
        line=str(awaiting["id"]),
        entry=str(entry["id"]),
        case=str(entry["case_id"]),
    )
    hold = _api(
        client,
        "POST",
        "/api/v1/archive/holds",
        auth("juridico"),
        json={
            "series_code": "MDS.DAJ.INF",
            "reason": "Revisión de informes",
            "authority": "Contraloría General",
            "reference": "Oficio CGE-2026-118",
        },
    )
    holds_page = legal.get("/archivo/retenciones")
    programas, registro = signed_in("programas"), signed_in("registro")
    line_page = programas.get(f"/firmas/{awaiting['id']}")
    registry = registro.get("/registro")
    transfer_form = legal.get(f"/documentos/{report}/remitir")
    found: dict[str, str] = {
        "home": legal.get("/").text,
        "inbox": programas.get("/bandeja").text,
        "signing line": line_page.text,
        "signing line, wrong PIN": programas.post(
            f"/firmas/{awaiting['id']}/firmar",
            data={"csrf_token": csrf_of(line_page.text), "pin": "000000"},
        ).text,
        "document": legal.get(f"/documentos/{report}").text,
        "document, wrong PIN": wrong_pin.text,
        "dossier index": signed_in("preparador").get(f"/documentos/{index_id}").text,
        "dossiers": legal.get("/expedientes").text,
        "dossier": signed_in("preparador").get(f"/expedientes/{dossier['id']}").text,
        "registry": registry.text,
        "registry, invalid form": registro.post(
            "/registro", data={"csrf_token": csrf_of(registry.text), "direction": "x"}
        ).text,
        "case": registro.get(f"/casos/{entry['case_id']}").text,
        "search": legal.get("/buscar", params={"q": "Informe"}).text,
        "search, invalid form": legal.get("/buscar", params={"from": "ayer"}).text,
        "transfer, same department": legal.post(
            f"/documentos/{report}/remitir",
            data={
                "csrf_token": csrf_of(transfer_form.text),
                "to_department": "DAJ",
                "purpose": "action",
                "pin": DEMO_PIN,
            },
        ).text,
        "dashboard": signed_in("ministra").get("/tablero").text,
        "unknown address": legal.get("/no-existe", headers={"accept": "text/html"}).text,
        "upload a document": legal.get("/documentos/nuevo").text,
        "ask for signatures": signed_in("preparador")
        .get(f"/firmas/nueva?expediente={dossier['id']}")
        .text,
        "stand-ins": legal.get("/suplencias").text,
        "audit trail": signed_in("auditora").get("/auditoria").text,
        "administration": signed_in("admin").get("/admin").text,
        "archive": signed_in("archivista").get("/archivo").text,
        "archive, broken file": signed_in("archivista")
        .post(
            "/archivo/cuadro",
            data={"csrf_token": csrf_of(signed_in("archivista").get("/archivo").text)},
            files={"file": ("cuadro.csv", b"codigo;nombre\r\n", "text/csv")},
        )
        .text,
        "retention table": legal.get(f"/archivo/tablas/{in_force['id']}").text,
        "loans": signed_in("archivista").get("/archivo/prestamos").text,
        "loans, unknown record": signed_in("rrhh")
        .post(
            "/archivo/prestamos",
            data={
                "csrf_token": csrf_of(signed_in("rrhh").get("/archivo/prestamos").text),
                "record": "no-es-un-identificador",
                "reason": "Consulta",
            },
        )
        .text,
        "legal holds": holds_page.text,
        "legal hold, same person": legal.post(
            f"/archivo/retenciones/{hold['id']}/levantar",
            data={"csrf_token": csrf_of(holds_page.text), "reason": "Fin de la revisión"},
        ).text,
        "disposal": signed_in("archivista").get("/archivo/eliminacion").text,
        "document not there": legal.get(
            f"/documentos/{dossier['id']}", headers={"accept": "text/html"}
        ).text,
    }
    # Last, as it signs the line: the batch's progress page.
    inbox = programas.get("/bandeja")
    batch = programas.post(
        "/firmas/lote",
        data={"csrf_token": csrf_of(inbox.text), "line": awaiting["id"], "pin": DEMO_PIN},
    )
    assert batch.status_code == 200 and "/firmas/lote/" in str(batch.url), batch.text
    found["batch"] = batch.text
    for name, pdf in (
        ("registry receipt (PDF)", registro.get(f"/registro/{entry['id']}/justificante.pdf")),
        (
            "dossier index (PDF)",
            client.get(f"/api/v1/documents/{index_id}/content", headers=auth("preparador")),
        ),
    ):
        assert pdf.status_code == 200, pdf.text
        laid_out = pdfium.PdfDocument(pdf.content)
        found[name] = "\n".join(
            laid_out[i].get_textpage().get_text_range() for i in range(len(laid_out))
        )
        laid_out.close()

    with backend.client() as anonymous:
        found["login"] = anonymous.get("/login").text
        found["login, wrong password"] = anonymous.post(
            "/login",
            data={
                "username": "juridico",
                "password": "no es",
                "csrf_token": csrf_of(anonymous.get("/login").text),
            },
        ).text
        form = anonymous.get("/verificar")
        found["verify"] = form.text
        content = client.get(f"/api/v1/documents/{report}/content", headers=auth("juridico"))
        result = anonymous.post(
            "/verificar",
            data={"csrf_token": csrf_of(form.text)},
            files={"file": ("copia recibida.pdf", content.content, "application/pdf")},
        )
        assert result.status_code == 200, result.text
        found["verification result"] = result.text
        pdf_link = re.search(r'href="(/verificar/resultado/[^"]+/informe\.pdf)[^"]*"', result.text)
        assert pdf_link, result.text
        report_pdf = anonymous.get(pdf_link.group(1))
        assert report_pdf.status_code == 200
        document = pdfium.PdfDocument(io.BytesIO(report_pdf.content))
        found["sealed report (PDF)"] = "\n".join(
            document[i].get_textpage().get_text_range() for i in range(len(document))
        )
        code = re.search(r'href="/verificar/([0-9A-Z-]{16,19})"', found["document"])
        assert code, found["document"]
        WORLD["code"] = code.group(1)
        found["public record"] = anonymous.get(f"/verificar/{code.group(1)}").text
        found["verify, bad code"] = anonymous.get("/verificar", params={"codigo": "zz"}).text
        found["verify, unknown code"] = anonymous.get("/verificar/ABCDEFGHJKMNPQRS").text
        found["verify, not a PDF"] = anonymous.post(
            "/verificar",
            data={"csrf_token": csrf_of(anonymous.get("/verificar").text)},
            files={"file": ("nota.pdf", b"no es un PDF", "application/pdf")},
        ).text
    return found


def _visible(page: str) -> str:
    """What a reader sees or hears: the text between tags (not the signed checkpoint's
    base64) and the labels read out (aria-label, alt)."""
    page = re.sub(r"(?s)<pre\b.*?</pre>", " ", page)
    spoken = " ".join(re.findall(r'(?:aria-label|alt)="([^"]*)"', page))
    return html.unescape(" ".join((re.sub(r"<[^>]+>", " ", page) + " " + spoken).split()))


def test_no_english_on_the_spanish_pages(pages: dict[str, str]) -> None:
    leaks = {}
    for name, page in pages.items():
        text = _visible(page) if "<html" in page else " ".join(page.split())
        found = sorted({m.group(0) for m in ENGLISH.finditer(text)})
        found += sorted({m.group(0) for m in MACHINE_TIME.finditer(text)})
        found += [raw for raw in RAW_VALUES if raw in page]
        if found:
            leaks[name] = found
    assert leaks == {}, leaks


def test_the_pages_say_it_in_spanish(pages: dict[str, str]) -> None:
    """What used to leak, now in words: a sample from each page that had it."""
    text = {name: _visible(page) for name, page in pages.items()}
    assert all('<html lang="es"' in page for name, page in pages.items() if "PDF" not in name)
    assert "Documento creado" in text["document"]
    assert "Firmado por Lucía Fernández (B-T, aprobación)" in text["document"]
    assert "Versión 2 del índice: el expediente se firmó de nuevo" in text["dossier index"]
    assert ">Otro<" in pages["dossier"] and ">Informe<" in pages["dossier"]
    assert "Revisado" in text["signing line"] and "Aprobado" in text["signing line"]
    assert "PIN incorrecto." in text["document, wrong PIN"]
    assert "Revise los campos del formulario." in text["registry, invalid form"]
    assert "La remisión va a otra unidad." in text["transfer, same department"]
    assert "No se pudo leer el archivo CSV" in text["archive, broken file"]
    assert "Otra persona debe levantar la retención" in text["legal hold, same person"]
    assert "El archivo no custodia ese expediente" in text["loans, unknown record"]
    assert "Usuario o contraseña incorrectos." in text["login, wrong password"]
    assert "Nombre común: Lucía Fernández" in text["verification result"]
    assert "Emisor del certificado Nombre común: CA emisora" in text["verification result"]
    assert "Informe de verificación de firmas" in pages["sealed report (PDF)"]
    assert "Nombre común: Lucía Fernández" in pages["sealed report (PDF)"]
    # Local times in words (the demo institution is in Ecuador): "6 de diciembre de 2026,
    # 13:25", as a Spanish reader writes them.
    month = r"(ene|feb|mar|abr|may|jun|jul|ago|sept|oct|nov|dic)"
    words = r"\d{1,2} de [a-z]+ de \d{4}, \d{1,2}:\d{2}(?!:)"
    assert re.search(words, text["document"])
    assert re.search(rf"Plazo: \d{{1,2}} {month} \d{{4}}", text["inbox"])
    assert re.search(words, text["public record"])


def test_the_same_page_in_english(
    signed_in: Callable[[str], TestClient], pages: dict[str, str]
) -> None:
    """The catalogue's other language, asked for with ?lang=en (then kept in a cookie)."""
    browser = signed_in("preparador")
    code = re.search(r'href="/documentos/([0-9a-f-]{36})">ver el índice', pages["dossier"])
    assert code, pages["dossier"]
    english = _visible(browser.get(f"/documentos/{code.group(1)}", params={"lang": "en"}).text)
    assert "Version history" in english and "Document created" in english
    assert "Index version 2: the dossier was signed again" in english
    assert re.search(r"[A-Z][a-z]+ \d{1,2}, \d{4}, \d{1,2}:\d{2}\s[AP]M", english)
    again = _visible(browser.get("/").text)
    assert "Documents" in again
    browser.get("/", params={"lang": "es"})  # back to Spanish for the module's other tests


def _english_pages(backend: Backend) -> dict[str, str]:
    """The pages that a GET shows, in English: each user in a browser of her own that asked
    for English once (the cookie keeps it)."""
    w = WORLD
    wanted = {
        "home": ("juridico", "/"),
        "inbox": ("programas", "/bandeja"),
        "signing line": ("programas", f"/firmas/{w['line']}"),
        "document": ("juridico", f"/documentos/{w['report']}"),
        "dossier index": ("preparador", f"/documentos/{w['index']}"),
        "dossiers": ("juridico", "/expedientes"),
        "dossier": ("preparador", f"/expedientes/{w['dossier']}"),
        "registry": ("registro", "/registro"),
        "case": ("registro", f"/casos/{w['case']}"),
        "search": ("juridico", "/buscar?q=Informe"),
        "search, invalid form": ("juridico", "/buscar?from=ayer"),
        "transfer form": ("juridico", f"/documentos/{w['report']}/remitir"),
        "dashboard": ("ministra", "/tablero"),
        "upload a document": ("juridico", "/documentos/nuevo"),
        "new version": ("juridico", f"/documentos/{w['report']}/versiones"),
        "ask for signatures": ("preparador", f"/firmas/nueva?expediente={w['dossier']}"),
        "stand-ins": ("juridico", "/suplencias"),
        "audit trail": ("auditora", "/auditoria"),
        "administration": ("admin", "/admin"),
        "archive": ("juridico", "/archivo"),
        "retention table": ("juridico", f"/archivo/tablas/{w['table']}"),
        "loans": ("archivista", "/archivo/prestamos"),
        "legal holds": ("juridico", "/archivo/retenciones"),
        "disposal": ("archivista", "/archivo/eliminacion"),
        "fixity checks": ("archivista", "/archivo/integridad"),
        "unknown address": ("juridico", "/no-existe"),
        "forbidden": ("juridico", "/admin"),
        "login": (None, "/login"),
        "verify": (None, "/verificar"),
        "public record": (None, f"/verificar/{w['code']}"),
        "verify, unknown code": (None, "/verificar/ABCDEFGHJKMNPQRS"),
    }
    browsers: dict[str | None, TestClient] = {}
    found: dict[str, str] = {}
    try:
        for name, (username, path) in wanted.items():
            if username not in browsers:
                browser = TestClient(create_app(backend.settings, backend.services))
                browser.__enter__()
                browser.get("/login", params={"lang": "en"})
                if username is not None:
                    form = browser.get("/login")
                    browser.post(
                        "/login",
                        data={
                            "username": username,
                            "password": DEMO_PASSWORD,
                            "csrf_token": csrf_of(form.text),
                        },
                    )
                browsers[username] = browser
            response = browsers[username].get(path, headers={"accept": "text/html"})
            assert response.headers["content-type"].startswith("text/html"), (name, response)
            found[name] = response.text
    finally:
        for browser in browsers.values():
            browser.__exit__(None, None, None)
    return found


def test_every_page_in_english_too(backend: Backend, pages: dict[str, str]) -> None:
    """The same pages in English: no Spanish word of the interface, English dates, and a
    page (never JSON) for a browser's 404 and 403."""
    english = _english_pages(backend)
    leaks = {}
    for name, page in english.items():
        assert '<html lang="en"' in page, name
        text = SPANISH_DATA.sub(" ", _visible(page))
        found = sorted({m.group(0) for m in SPANISH.finditer(text)})
        found += sorted({m.group(0) for m in MACHINE_TIME.finditer(text)})
        if found:
            leaks[name] = found
    assert leaks == {}, leaks
    assert "Page not found" in english["unknown address"]
    assert "<h1" in english["forbidden"] and '"error"' not in english["forbidden"]
