"""The archive from the pages, with the web session only: the hub shows the demo's
classification scheme as a tree and its retention table in force, in Spanish; an archivist
imports a scheme version and drafts a table from uploaded files (a broken file is refused
in Spanish and nothing is made); the archive committee approves the table with its PIN and
the archivist puts it in force; an official files a dossier from its page; and what is
downloaded is exactly what the scheme and the table are."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from docsvc.demo.seed import DEMO_PIN
from tests.support.backends import BACKENDS, Backend, build_backend
from tests.support.pages import csrf_of
from transparency.leaves import canonical

Browser = Callable[[str], TestClient]

# As the scheme's CSV download writes it: CRLF, minimal quoting.
SCHEME_V2 = (
    "code,name,level,parent,document_types\r\n"
    "MDS,Ministerio de Desarrollo Social,fonds,,\r\n"
    "DM,Despacho del Ministro,section,MDS,\r\n"
    "RES,Resoluciones,series,DM,resolution\r\n"
    "DAF,Dirección Administrativa Financiera,section,MDS,\r\n"
    "DF,Dirección Financiera,subsection,DAF,\r\n"
    "PAG,Expedientes de pago,series,DF,payment_order;report;other\r\n"
    "PAGX,Pagos al exterior,subseries,PAG,\r\n"
)
RULES_V2 = (
    "series_code,office_years,central_years,disposition,trigger,trigger_event,legal_basis,"
    "procedure\r\n"
    "RES,5,15,keep,closing,,Ley de archivos,Conservación total\r\n"
    "PAG,0,10,destroy,closing,,Normas de control,Eliminación con acta\r\n"
)
# A local time in words, as a Spanish reader writes it: "1 de diciembre de 2026, 16:05".
LOCAL_TIME = re.compile(r"\d{1,2} de [a-z]+ de \d{4}, \d{1,2}:\d{2}(?!:)")


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    built = build_backend(
        request.param, tmp_path_factory.mktemp(f"archive-pages-{request.param}"), request, pki=True
    )
    yield built
    built.services.close()


def _text(page: str) -> str:
    """What a reader sees: the text between tags, spaces collapsed."""
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def _upload(
    browser: TestClient,
    action: str,
    name: str,
    content: bytes,
    note: str = "",
    fmt: str = "",
) -> Response:
    token = csrf_of(browser.get("/archivo").text)
    return browser.post(
        action,
        data={"csrf_token": token, "note": note, "format": fmt},
        files={"file": (name, content, "application/octet-stream")},
        follow_redirects=False,
    )


def _table_ids(hub: str) -> list[str]:
    return re.findall(r'href="/archivo/tablas/([0-9a-f-]{36})"', hub)


def _latest_version(hub: str) -> int:
    found = re.search(r"Versión (\d+), importada el", _text(hub))
    assert found, hub
    return int(found.group(1))


def test_the_hub_shows_the_scheme_tree_and_the_table_in_force(browser_as: Browser) -> None:
    reader = browser_as("juridico")
    hub = reader.get("/archivo")
    assert hub.status_code == 200 and '<html lang="es"' in hub.text
    text = _text(hub.text)
    assert 'href="/archivo" aria-current="page"' in hub.text  # in the menu
    for shown in (
        "Cuadro de clasificación",
        "MDS — Ministerio de Desarrollo Social (fondo)",
        "DM — Despacho del Ministro (sección)",
        "DF — Dirección Financiera (subsección)",
        "PAG — Expedientes de pago (serie) Tipos documentales: Orden de pago, Informe, Otro",
        "BEN — Listas de beneficiarios (subserie) Tipos documentales: Informe",
        "Tablas de retención documental",
        "Pendiente de transferencia al archivo central",
    ):
        assert shown in text, shown
    # A tree: the subseries in a list inside its series' item, inside its section's.
    tree = re.search(r'<ul class="govuk-list[^"]*scheme-tree">.*</ul>', hub.text, re.S)
    assert tree
    assert re.search(
        r"DPS — Dirección de Programas Sociales.*?<ul[^>]*>.*?PRG — Programas sociales"
        r".*?<ul[^>]*>.*?BEN — Listas de beneficiarios",
        tree.group(0),
        re.S,
    )
    assert re.search(r"<strong>PAG — Expedientes de pago</strong>", hub.text)
    assert "<strong>DAF —" not in hub.text  # only series and subseries are marked
    # The table in force, first, with its state as a tag; only archivists see the forms.
    (first, *_) = _table_ids(hub.text)
    assert re.search(r'govuk-tag--green">en vigor<', hub.text)
    assert 'action="/archivo/cuadro"' not in hub.text
    assert 'action="/archivo/tablas"' not in hub.text
    assert "/archivo/cuadro/1.csv" in hub.text and "/archivo/cuadro/1.json" in hub.text

    table = reader.get(f"/archivo/tablas/{first}")
    assert table.status_code == 200
    text = _text(table.text)
    for shown in (
        "Tabla de retención documental 1",
        "en vigor",
        "Cuadro de clasificación, versión 1",
        "1 de enero de 2026",
        "PAG — Expedientes de pago 2 10 Eliminación Cierre del expediente",
        "RES — Resoluciones 5 15 Conservación total",
        "Evento: Retiro del servidor",
        "Selección",
        "Digitalización",
        "Ley del Sistema Nacional de Archivos, art. 12",
        "Ramiro Salazar (comite)",
        "Elena Vargas (archivista)",
    ):
        assert shown in text, shown
    assert re.search(r"aprobada Ramiro Salazar \(comite\) " + LOCAL_TIME.pattern, text)
    # In force: no step is left to take.
    assert "/aprobar" not in table.text and "/vigor" not in table.text


def test_a_broken_file_is_refused_in_spanish_and_nothing_is_made(browser_as: Browser) -> None:
    archivist = browser_as("archivista")
    before = archivist.get("/archivo").text
    assert 'action="/archivo/cuadro"' in before and 'action="/archivo/tablas"' in before
    version = _latest_version(before)

    orphan = SCHEME_V2 + "X,Sin padre,series,NOPE,\r\n"
    refused = _upload(archivist, "/archivo/cuadro", "cuadro.csv", orphan.encode(), "Acta 7")
    assert refused.status_code == 400
    assert "Un nodo indica un nodo superior que no está en el cuadro." in _text(refused.text)
    assert ">Acta 7</textarea>" in refused.text  # the note is kept
    no_header = _upload(archivist, "/archivo/cuadro", "cuadro.csv", b"codigo;nombre\r\nA;B\r\n")
    assert no_header.status_code == 400
    assert "No se pudo leer el archivo CSV" in _text(no_header.text)
    unknown_format = _upload(archivist, "/archivo/cuadro", "cuadro.txt", SCHEME_V2.encode())
    assert unknown_format.status_code == 400
    assert "Elija el formato del archivo: CSV o JSON." in _text(unknown_format.text)
    bad_json = _upload(archivist, "/archivo/cuadro", "cuadro.json", b'{"nodes": [')
    assert "No se pudo leer el archivo JSON" in _text(bad_json.text)
    empty = _upload(archivist, "/archivo/cuadro", "cuadro.csv", b"")
    assert "Elija un archivo CSV o JSON." in _text(empty.text)

    unknown_series = RULES_V2 + "ZZZ,1,1,keep,closing,,,\r\n"
    table = _upload(archivist, "/archivo/tablas", "tabla.csv", unknown_series.encode(), "Acta 8")
    assert table.status_code == 400
    assert "Una regla indica una serie que no está en la última versión" in _text(table.text)
    assert ">Acta 8</textarea>" in table.text

    # Only archivists import: an official is told so, in Spanish.
    official = _upload(browser_as("juridico"), "/archivo/cuadro", "c.csv", SCHEME_V2.encode())
    assert official.status_code == 403
    assert "Solo el personal de archivo puede hacer esto." in _text(official.text)

    after = archivist.get("/archivo").text
    assert _latest_version(after) == version
    assert _table_ids(after) == _table_ids(before)


def test_an_archivist_imports_a_scheme_and_drafts_a_table(browser_as: Browser) -> None:
    archivist = browser_as("archivista")
    done = _upload(
        archivist, "/archivo/cuadro", "cuadro.csv", SCHEME_V2.encode(), "Segunda versión"
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == "/archivo?hecho=scheme_imported"
    hub = archivist.get(done.headers["location"]).text
    text = _text(hub)
    assert "Nueva versión del cuadro de clasificación importada." in text
    number = _latest_version(hub)
    assert number >= 2 and "Segunda versión" in text
    assert "PAGX — Pagos al exterior (subserie)" in text
    assert "Versiones anteriores" in text and 'href="/archivo/cuadro/1"' in hub
    # The earlier version keeps its own tree.
    first = archivist.get("/archivo/cuadro/1")
    assert "BEN — Listas de beneficiarios" in _text(first.text)
    assert "Versión anterior" in _text(first.text)

    # The downloads are the scheme, byte for byte.
    csv = archivist.get(f"/archivo/cuadro/{number}.csv")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert f"cuadro-de-clasificacion-v{number}.csv" in csv.headers["content-disposition"]
    assert csv.content == SCHEME_V2.encode()
    as_json = archivist.get(f"/archivo/cuadro/{number}.json")
    assert as_json.headers["content-type"].startswith("application/json")
    assert canonical(json.loads(as_json.content)) == as_json.content
    nodes = json.loads(as_json.content)["nodes"]
    assert [n["code"] for n in nodes] == ["MDS", "DM", "RES", "DAF", "DF", "PAG", "PAGX"]
    assert nodes[5] == {
        "code": "PAG",
        "name": "Expedientes de pago",
        "level": "series",
        "parent": "DF",
        "document_types": ["payment_order", "report", "other"],
    }
    # The JSON imported again, its format chosen on the form: the same scheme.
    again = _upload(archivist, "/archivo/cuadro", "cuadro.txt", as_json.content, fmt="json")
    assert again.status_code == 303, again.text
    assert archivist.get(f"/archivo/cuadro/{number + 1}.json").content == as_json.content

    drafted = _upload(archivist, "/archivo/tablas", "tabla.csv", RULES_V2.encode(), "Acta 02")
    assert drafted.status_code == 303, drafted.text
    location = drafted.headers["location"]
    assert re.fullmatch(r"/archivo/tablas/[0-9a-f-]{36}\?hecho=table_drafted", location)
    page = archivist.get(location)
    text = _text(page.text)
    assert "Tabla de retención documental elaborada" in text
    assert "borrador" in text and "Acta 02" in text
    assert "Aún no hay pasos firmados" in text
    assert "/aprobar" not in page.text  # the archivist does not approve
    table_id = location.split("/")[3].split("?")[0]
    rules_csv = archivist.get(f"/archivo/tablas/{table_id}.csv")
    assert rules_csv.content == RULES_V2.encode()
    rules_json = archivist.get(f"/archivo/tablas/{table_id}.json")
    assert canonical(json.loads(rules_json.content)) == rules_json.content
    assert [r["series_code"] for r in json.loads(rules_json.content)["rules"]] == ["RES", "PAG"]


def test_the_committee_approves_and_the_archivist_puts_it_in_force(browser_as: Browser) -> None:
    archivist, committee = browser_as("archivista"), browser_as("comite")
    hub = archivist.get("/archivo").text
    (draft,) = [
        table_id
        for table_id in _table_ids(hub)
        if "borrador" in _text(archivist.get(f"/archivo/tablas/{table_id}").text)
    ]
    url = f"/archivo/tablas/{draft}"

    # The archivist who drafted it does not approve it.
    refused = archivist.post(f"{url}/aprobar", data={"csrf_token": csrf_of(hub), "pin": DEMO_PIN})
    assert refused.status_code == 403
    assert "Solo el Comité de Archivo aprueba una tabla de retención documental." in _text(
        refused.text
    )

    page = committee.get(url).text
    assert f'action="{url}/aprobar"' in page and f'action="{url}/vigor"' not in page
    wrong = committee.post(f"{url}/aprobar", data={"csrf_token": csrf_of(page), "pin": "000000"})
    assert wrong.status_code == 403
    assert "PIN incorrecto." in _text(wrong.text) and "borrador" in _text(wrong.text)
    approved = committee.post(
        f"{url}/aprobar",
        data={"csrf_token": csrf_of(page), "pin": DEMO_PIN},
        follow_redirects=False,
    )
    assert approved.status_code == 303, approved.text
    text = _text(committee.get(approved.headers["location"]).text)
    assert "Tabla de retención documental aprobada con su firma." in text
    assert re.search(r"aprobada Ramiro Salazar \(comite\) " + LOCAL_TIME.pattern, text)

    page = archivist.get(url).text
    assert f'action="{url}/vigor"' in page
    assert re.search(r'name="in_force_from" type="date" value="\d{4}-\d{2}-\d{2}"', page)
    bad_day = archivist.post(
        f"{url}/vigor",
        data={"csrf_token": csrf_of(page), "pin": DEMO_PIN, "in_force_from": "1 de diciembre"},
    )
    assert bad_day.status_code == 400
    assert "Revise los campos del formulario." in _text(bad_day.text)
    in_force = archivist.post(
        f"{url}/vigor",
        data={"csrf_token": csrf_of(page), "pin": DEMO_PIN, "in_force_from": "2026-12-01"},
        follow_redirects=False,
    )
    assert in_force.status_code == 303, in_force.text
    text = _text(archivist.get(in_force.headers["location"]).text)
    assert "Tabla de retención documental puesta en vigor con su firma." in text
    assert "En vigor desde 1 de diciembre de 2026" in text
    assert re.search(
        r"Pasos firmados .*aprobada Ramiro Salazar \(comite\) .*"
        r"en vigor Elena Vargas \(archivista\) " + LOCAL_TIME.pattern,
        text,
    )

    # The hub lists it first, in force; the one before is superseded.
    hub = archivist.get("/archivo").text
    assert _table_ids(hub)[0] == draft
    assert re.search(r'govuk-tag--grey">reemplazada<', hub)
    assert len(re.findall(r'govuk-tag--green">en vigor<', hub)) == 1


def test_an_official_files_a_dossier_from_its_page(browser_as: Browser) -> None:
    """Under the table in force since the previous test, payment dossiers stay 0 years in
    the office: closed today, due for transfer today."""
    official = browser_as("preparador")
    listing = official.get("/expedientes").text
    opened = official.post(
        "/expedientes",
        data={"csrf_token": csrf_of(listing), "title": "Pagos de diciembre", "subject": ""},
        follow_redirects=False,
    )
    assert opened.status_code == 303, opened.text
    url = opened.headers["location"].split("?")[0]
    dossier_id = url.rsplit("/", 1)[1]
    page = official.get(url).text
    assert "Aún no está clasificado en una serie." in _text(page)
    assert re.search(r'<option value="PAG" >MDS\.DAF\.DF\.PAG — Expedientes de pago</option>', page)
    assert re.search(r'<option value="PAGX" >MDS\.DAF\.DF\.PAG\.PAGX — Pagos al exterior', page)
    assert 'value="DM"' not in page  # sections take no records

    not_a_series = official.post(
        f"{url}/clasificar", data={"csrf_token": csrf_of(page), "series_code": "DM"}
    )
    assert not_a_series.status_code == 400
    assert "Los documentos se clasifican en una serie o una subserie." in _text(not_a_series.text)
    filed = official.post(
        f"{url}/clasificar",
        data={"csrf_token": csrf_of(page), "series_code": "PAG"},
        follow_redirects=False,
    )
    assert filed.status_code == 303, filed.text
    assert filed.headers["location"] == f"{url}?hecho=filed#archivo"
    page = official.get(f"{url}?hecho=filed").text
    text = _text(page)
    assert "Expediente clasificado en la serie." in text
    assert "Serie MDS.DAF.DF.PAG — Expedientes de pago Fase Archivo de gestión" in text
    assert re.search(r'<option value="PAG" selected>', page)
    # Another department's official does not file it.
    other = browser_as("rrhh")
    token = csrf_of(other.get("/expedientes").text)
    assert (
        other.post(
            f"{url}/clasificar", data={"csrf_token": token, "series_code": "RES"}
        ).status_code
        >= 400
    )

    closed = official.post(f"{url}/cerrar", data={"csrf_token": csrf_of(page)})
    assert closed.status_code == 200, closed.text
    text = _text(official.get(url).text)
    assert re.search(
        r"Fecha de cierre (\d{1,2} de [a-z]+ de \d{4}) Fecha de transferencia \1 "
        r"Fin de la retención \d{1,2} de [a-z]+ de \d{4} · Eliminación",
        text,
    ), text

    # Due for transfer: in the office's list, and in the archivist's for that office.
    due = official.get("/archivo").text
    row = re.search(rf'<a class="govuk-link" href="/expedientes/{dossier_id}">.*?</tr>', due, re.S)
    assert row, due
    assert "Pagos de diciembre" in row.group(0)
    assert "MDS.DAF.DF.PAG — Expedientes de pago" in row.group(0)
    assert "Eliminación" in _text(row.group(0))
    assert "Unidad" not in _text(due.split('id="transferencias"')[1])  # no filter
    archivist = browser_as("archivista")
    assert f"/expedientes/{dossier_id}" in archivist.get("/archivo?unidad=DPS").text
    assert f"/expedientes/{dossier_id}" not in archivist.get("/archivo?unidad=DAJ").text
    assert f"/expedientes/{dossier_id}" not in browser_as("juridico").get("/archivo").text


def test_the_pages_in_english(browser_as: Browser) -> None:
    reader = browser_as("juridico")
    hub = _text(reader.get("/archivo", params={"lang": "en"}).text)
    assert "Classification scheme" in hub and "Retention tables" in hub
    assert "PAG — Expedientes de pago (series)" in hub
    table_id = _table_ids(reader.get("/archivo").text)[-1]
    table = _text(reader.get(f"/archivo/tablas/{table_id}").text)
    assert "Retention table 1" in table and "superseded" in table
    assert "Keep permanently" in table and "Closing of the dossier" in table
    assert "An event: Retiro del servidor" in table
