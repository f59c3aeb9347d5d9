"""The demo institution's archive: a classification scheme for its series (resolutions,
official letters, payment dossiers, personnel files, social programmes), a retention table
drafted by the archivist, approved by the archive committee and in force, and scenario B's
payment dossier filed under its series, so a new user sees the archive working."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from archive.classification import Level, Node, build_scheme
from archive.retention import Disposition, Rule, TableState, Trigger
from docsvc.actors.actor import Actor
from docsvc.archival import classification, holdings, retention_tables
from docsvc.models import ClassificationVersion, Dossier
from docsvc.services import Services

SCHEME_NOTE = "Cuadro de clasificación inicial del Ministerio"
TABLE_NOTE = "Tabla de retención documental aprobada por el Comité de Archivo, acta 01-2026"
IN_FORCE_FROM = date(2026, 1, 1)

NODES: tuple[Node, ...] = (
    Node("MDS", "Ministerio de Desarrollo Social", Level.fonds),
    Node("DM", "Despacho del Ministro", Level.section, "MDS"),
    Node("RES", "Resoluciones", Level.series, "DM", ("resolution",)),
    Node("DAJ", "Dirección de Asesoría Jurídica", Level.section, "MDS"),
    Node("OFI", "Oficios", Level.series, "DAJ", ("letter", "request")),
    Node("INF", "Informes jurídicos", Level.series, "DAJ", ("report",)),
    Node("DAF", "Dirección Administrativa Financiera", Level.section, "MDS"),
    Node("DF", "Dirección Financiera", Level.subsection, "DAF"),
    Node("PAG", "Expedientes de pago", Level.series, "DF", ("payment_order", "report", "other")),
    Node("DRH", "Dirección de Recursos Humanos", Level.subsection, "DAF"),
    Node("HLB", "Historias laborales", Level.series, "DRH", ("letter", "resolution", "other")),
    Node("DPS", "Dirección de Programas Sociales", Level.section, "MDS"),
    Node("PRG", "Programas sociales", Level.series, "DPS"),
    Node("BEN", "Listas de beneficiarios", Level.subseries, "PRG", ("report",)),
)

RULES: tuple[Rule, ...] = (
    Rule(
        "RES",
        5,
        15,
        Disposition.keep,
        legal_basis="Ley del Sistema Nacional de Archivos, art. 12",
        procedure="Conservación total por su valor histórico y jurídico.",
    ),
    Rule(
        "OFI",
        2,
        8,
        Disposition.sample,
        legal_basis="Norma técnica de gestión documental y archivo",
        procedure="Selección del 10 % por muestreo sistemático; el resto se elimina.",
    ),
    Rule(
        "INF",
        3,
        7,
        Disposition.digitize,
        procedure="Digitalización certificada y eliminación del soporte en papel.",
    ),
    Rule(
        "PAG",
        2,
        10,
        Disposition.destroy,
        legal_basis="Normas de control interno de la Contraloría General del Estado, 405-04",
        procedure="Eliminación al vencer el plazo, con acta aprobada por el Comité de Archivo.",
    ),
    Rule(
        "HLB",
        5,
        75,
        Disposition.keep,
        Trigger.event,
        "Retiro del servidor",
        legal_basis="Ley Orgánica del Servicio Público",
        procedure="Conservación total desde el retiro del servidor.",
    ),
    Rule(
        "PRG",
        3,
        7,
        Disposition.sample,
        procedure="Selección de los expedientes representativos de cada programa.",
    ),
    Rule(
        "BEN",
        2,
        8,
        Disposition.destroy,
        legal_basis="Ley Orgánica de Protección de Datos Personales, art. 10",
        procedure="Eliminación segura al vencer el plazo: contienen datos personales.",
    ),
)


def seed_archive(
    db: Session,
    services: Services,
    actor: Callable[[str], Actor],
    pin: str,
    payment_dossier_title: str,
) -> bool:
    """The scheme, the table in force and the payment dossier's filing, unless a scheme
    exists already. Needs the demo's signing credentials (the table's steps are signed
    with ``pin``)."""
    if db.scalar(select(ClassificationVersion.id).limit(1)) is not None:
        return False
    archivist, committee = actor("archivista"), actor("comite")
    classification.save_scheme(db, archivist, build_scheme(NODES), SCHEME_NOTE)
    table = retention_tables.save_draft(db, archivist, list(RULES), TABLE_NOTE)
    # Each signature counts its PIN attempt in a transaction of its own, which SQLite can
    # only take while no other write is open.
    db.commit()
    retention_tables.advance(db, services, committee, table.id, TableState.approved.value, pin)
    db.commit()
    retention_tables.advance(
        db, services, archivist, table.id, TableState.in_force.value, pin, IN_FORCE_FROM
    )
    dossier = db.scalar(select(Dossier).where(Dossier.title == payment_dossier_title))
    if dossier is not None:
        holdings.file_record(db, archivist, "PAG", dossier_id=dossier.id)
    db.commit()
    return True
