"""Small, real-looking official documents for the demo institution and the tests, set
with the PDF/A-2b text builder of :mod:`docsvc.documents.text_pdf` (re-exported here)."""

from __future__ import annotations

from dataclasses import dataclass

from docsvc.documents.text_pdf import (
    BODY_SIZE,
    REGULAR,
    TEXT_WIDTH,
    Confidentiality,
    DocType,
    _face,
    _subset,
    build_text_pdf,
    expected_page_count,
    srgb_icc_profile,
)

__all__ = [
    "BODY_SIZE",
    "REGULAR",
    "TEXT_WIDTH",
    "DemoDocument",
    "_face",
    "_subset",
    "build_text_pdf",
    "demo_documents",
    "expected_page_count",
    "srgb_icc_profile",
]


@dataclass(frozen=True, slots=True)
class DemoDocument:
    key: str
    doc_type: DocType
    title: str
    subject: str
    owning_department_code: str
    confidentiality: Confidentiality
    paragraphs: tuple[str, ...]

    @property
    def pdf(self) -> bytes:
        return build_text_pdf(self.title, list(self.paragraphs))


def demo_documents() -> list[DemoDocument]:
    """Scenario A (a legal request) then scenario B (a payment dossier), in that order:
    tests and benchmarks pick documents by position."""
    return [
        DemoDocument(
            key="a_oficio_pge",
            doc_type="letter",
            title="Oficio N.º PGE-DPT-2026-1187",
            subject="Solicitud de documentación del proceso laboral N.º 17371-2026-00412",
            owning_department_code="DAJ",
            confidentiality="confidential",
            paragraphs=(
                "PROCURADURÍA GENERAL DEL ESTADO\nDirección Nacional de Patrocinio",
                "Quito, 16 de noviembre de 2026",
                "Señora\nAna María Rojas\nMinistra de Desarrollo Social\nPresente.",
                "Asunto: solicitud de documentación del proceso laboral N.º 17371-2026-00412.",
                "Señora Ministra: Dentro del proceso laboral N.º 17371-2026-00412, que sigue el "
                "señor Luis Alberto Guamán Pilco contra el Ministerio de Desarrollo Social ante "
                "la Unidad Judicial de Trabajo de Quito, esta Procuraduría ejerce el patrocinio "
                "de la entidad y necesita preparar la contestación a la demanda.",
                "Por ello, le solicito que en el término de cinco (5) días hábiles, contados "
                "desde la recepción de este oficio, se remita a esta Dirección:",
                "a) copia certificada del expediente personal del servidor;\n"
                "b) las acciones de personal emitidas a su favor entre 2022 y 2026;\n"
                "c) los roles de pago de los últimos doce meses;\n"
                "d) el informe técnico de la Dirección de Recursos Humanos sobre la "
                "terminación de la relación laboral.",
                "La información deberá remitirse a través del sistema de gestión documental, "
                "firmada electrónicamente por la autoridad competente. ¿Existe alguna duda? "
                "Puede comunicarse con el abogado patrocinador, Dr. Andrés Cárdenas.",
                "Atentamente,\n\nDr. Fernando Cevallos Ibáñez\n"
                "Director Nacional de Patrocinio\nProcuraduría General del Estado",
            ),
        ),
        DemoDocument(
            key="a_resolucion_respuesta",
            doc_type="resolution",
            title="Resolución Ministerial N.º MDS-DM-2026-0219 (borrador)",
            subject="Autorización de respuesta a la Procuraduría General del Estado",
            owning_department_code="DM",
            confidentiality="confidential",
            paragraphs=(
                "LA MINISTRA DE DESARROLLO SOCIAL",
                "CONSIDERANDO:",
                "Que la Procuraduría General del Estado, mediante oficio N.º "
                "PGE-DPT-2026-1187 de 16 de noviembre de 2026, solicitó la documentación del "
                "proceso laboral N.º 17371-2026-00412 en el término de cinco días hábiles;",
                "Que la Dirección de Asesoría Jurídica registró el oficio y lo trasladó a la "
                "Dirección de Recursos Humanos, la cual reunió y remitió la documentación "
                "requerida con su acuse de recibo firmado;",
                "Que corresponde a la máxima autoridad autorizar la entrega de información "
                "de carácter confidencial a otras entidades del Estado;",
                "En ejercicio de sus atribuciones,",
                "RESUELVE:",
                "Artículo 1.- Autorizar la remisión a la Procuraduría General del Estado, en "
                "copia certificada, de la documentación detallada en el oficio N.º "
                "PGE-DPT-2026-1187.",
                "Artículo 2.- Encargar a la Dirección de Asesoría Jurídica el envío de la "
                "documentación y el seguimiento del proceso hasta su conclusión.",
                "Artículo 3.- La presente resolución entrará en vigencia a partir de su "
                "suscripción.",
                "Dado en Quito, Distrito Metropolitano, a 20 de noviembre de 2026.",
                "Ana María Rojas\nMINISTRA DE DESARROLLO SOCIAL",
            ),
        ),
        DemoDocument(
            key="b_lista_beneficiarios",
            doc_type="report",
            title="Lista de beneficiarios — Bono de Protección Social, noviembre 2026",
            subject="Nómina de 1.250 beneficiarios validados para el pago de noviembre",
            owning_department_code="DPS",
            confidentiality="internal",
            paragraphs=(
                "Dirección de Programas Sociales — Unidad de Gestión de Pagos",
                "La presente lista contiene 1.250 beneficiarios validados contra el Registro "
                "Social con corte al 10 de noviembre de 2026, por un monto total de "
                "USD 62.500,00 (USD 50,00 por beneficiario). Se reproducen los primeros "
                f"{len(_BENEFICIARIES)}; el detalle completo consta en el anexo digital.",
                "N.º — Nombre — Cédula — Cantón — Monto\n" + "\n".join(_beneficiary_rows()),
                "Elaborado por: Sofía Castillo, Analista de Programas Sociales.\n"
                "Revisado por: Miguel Torres, Director de Programas Sociales.",
            ),
        ),
        DemoDocument(
            key="b_certificacion_presupuestaria",
            doc_type="other",
            title="Certificación presupuestaria N.º DF-CP-2026-0588",
            subject="Disponibilidad presupuestaria para el pago del Bono de Protección Social",
            owning_department_code="DF",
            confidentiality="internal",
            paragraphs=(
                "DIRECCIÓN FINANCIERA",
                "Quito, 12 de noviembre de 2026",
                "La Dirección Financiera del Ministerio de Desarrollo Social CERTIFICA que "
                "existe disponibilidad presupuestaria suficiente en la partida "
                "730606 «Bono de Protección Social», fuente de financiamiento 001 «Recursos "
                "Fiscales», por un monto de USD 62.500,00 (sesenta y dos mil quinientos "
                "dólares de los Estados Unidos de América), para el pago correspondiente a "
                "noviembre de 2026.",
                "Esta certificación tiene vigencia hasta el 31 de diciembre de 2026 y se emite "
                "a pedido de la Dirección de Programas Sociales.",
                "Ing. Roberto Álvarez\nDirector Financiero",
            ),
        ),
        DemoDocument(
            key="b_resolucion_aprobacion",
            doc_type="resolution",
            title="Resolución N.º MDS-DPS-2026-0074",
            subject="Aprobación del pago del Bono de Protección Social, noviembre 2026",
            owning_department_code="DPS",
            confidentiality="internal",
            paragraphs=(
                "EL VICEMINISTRO DE INCLUSIÓN SOCIAL",
                "CONSIDERANDO:",
                "Que la Dirección de Programas Sociales presentó la lista de 1.250 "
                "beneficiarios validados para el pago de noviembre de 2026;",
                "Que la Dirección Financiera emitió la certificación presupuestaria "
                "N.º DF-CP-2026-0588 por USD 62.500,00;",
                "RESUELVE:",
                "Artículo 1.- Aprobar el pago del Bono de Protección Social correspondiente a "
                "noviembre de 2026 a 1.250 beneficiarios, por un total de USD 62.500,00.",
                "Artículo 2.- Disponer el traslado del expediente de pago a la Dirección "
                "Financiera para la transferencia de los fondos.",
                "Dado en Quito, a 14 de noviembre de 2026.",
                "Carlos Méndez\nVICEMINISTRO DE INCLUSIÓN SOCIAL",
            ),
        ),
    ]


# Invented people; the cédula numbers are masked as they would be in an internal list.
_BENEFICIARIES = (
    ("María José Quishpe Toapanta", "Quito"),
    ("Juan Pablo Andrade Yépez", "Cayambe"),
    ("Rosa Elvira Chicaiza Llumiquinga", "Latacunga"),
    ("Segundo Manuel Caiza Tipán", "Salcedo"),
    ("Gloria Maribel Ñacato Pilataxi", "Quito"),
    ("Luis Ángel Morocho Guamán", "Cuenca"),
    ("Carmen Lucía Intriago Zambrano", "Portoviejo"),
    ("José Antonio Quiñónez Cortez", "Esmeraldas"),
    ("Ana Belén Suárez Mendoza", "Manta"),
    ("Pedro Julián Yánez Ortiz", "Ibarra"),
    ("Blanca Esthela Pacheco Núñez", "Loja"),
    ("Víctor Hugo Cedeño Muñoz", "Chone"),
    ("Martha Cecilia Tenorio Ayoví", "San Lorenzo"),
    ("Fabián Eduardo Guerrero Paz", "Tulcán"),
    ("Zoila Esperanza Huilca Ushiña", "Machachi"),
    ("Nelson Rodrigo Jácome Ríos", "Ambato"),
    ("Inés Margarita Saltos Vélez", "Babahoyo"),
    ("Wilson Patricio Alvarado Sánchez", "Guayaquil"),
    ("Dolores Fabiola Cunuhay Chaluisa", "Pujilí"),
    ("Ángel Ricardo Benítez Maldonado", "Riobamba"),
    ("Lourdes Jimena Macías Loor", "Jipijapa"),
    ("Héctor Germán Villacís Páez", "Puyo"),
    ("Teresa de Jesús Chimbo Aguinda", "Tena"),
    ("Raúl Estuardo Peñafiel Ortega", "Guaranda"),
    ("Mercedes Aurora Jiménez Ochoa", "Machala"),
    ("Ítalo Fernando Bravo Espinoza", "Santa Elena"),
    ("Susana Patricia Tigse Ante", "Otavalo"),
    ("Gonzalo Efraín Murillo Castro", "Quevedo"),
    ("Norma Beatriz Añazco Ruiz", "Zamora"),
    ("Efraín Alfonso Sarango Cango", "Saraguro"),
    ("Olga Marina Lema Cachiguango", "Cotacachi"),
    ("Byron Javier Ochoa Carrión", "Azogues"),
    ("Rocío del Pilar Vera Montesdeoca", "Milagro"),
    ("Ulises Ramiro Tapia Herrera", "Sangolquí"),
    ("Eulalia Piedad Quilumba Farinango", "Cayambe"),
    ("Marco Vinicio Recalde Guzmán", "Quito"),
    ("Yolanda Elizabeth Borja Arévalo", "Cuenca"),
    ("Darwin Alexis Chávez Anchundia", "Santo Domingo"),
    ("Narcisa de Jesús Mora Bajaña", "Daule"),
    ("Óscar Iván Endara Proaño", "Ibarra"),
    ("Piedad Amelia Yumbo Grefa", "Archidona"),
    ("César Augusto León Calderón", "Loja"),
)


def _beneficiary_rows() -> list[str]:
    return [
        f"{number}. {name} — {number * 7 % 24 + 1:02d}xxxxxx{number:02d} — {canton} — USD 50,00"
        for number, (name, canton) in enumerate(_BENEFICIARIES, start=1)
    ]
