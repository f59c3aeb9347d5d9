"""The classification scheme: every validation code, the lookups the service makes, the
stable order and what a new version changes."""

from __future__ import annotations

import pickle
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.classification import (
    PARENT_LEVELS,
    Level,
    Node,
    Scheme,
    SchemeChanges,
    build_scheme,
    changes,
)
from archive.errors import ArchiveError, SchemeError
from tests.unit.archive.strategies import schemes

NODES = (
    Node("MDS", "Ministerio de Desarrollo Social", Level.fonds),
    Node("DAJ", "Dirección de Asesoría Jurídica", Level.section, "MDS"),
    Node("CON", "Contratación", Level.subsection, "DAJ"),
    Node("RES", "Resoluciones", Level.series, "DAJ", ("resolution", "annex")),
    Node("RESA", "Resoluciones administrativas", Level.subseries, "RES"),
    Node("RESD", "Resoluciones de delegación", Level.subseries, "RES", ("resolution",)),
    Node("CTR", "Contratos", Level.series, "CON"),
    Node("CTRO", "Contratos de obra", Level.subseries, "CTR"),
)
SCHEME = build_scheme(NODES)


def _codes(nodes: tuple[Node, ...]) -> list[str]:
    return [node.code for node in nodes]


def _refused(nodes: list[Node], code: str) -> SchemeError:
    with pytest.raises(SchemeError) as caught:
        build_scheme(nodes)
    assert caught.value.code == code
    return caught.value


FONDS = Node("F", "Fondo", Level.fonds)
SECTION = Node("S", "Sección", Level.section, "F")
SERIES = Node("SE", "Serie", Level.series, "S")


@pytest.mark.parametrize(
    ("node", "code"),
    [
        (Node("", "Sin código", Level.section, "F"), "empty_field"),
        (Node("X", "   ", Level.section, "F"), "empty_field"),
        (Node("A.B", "Punto", Level.section, "F"), "bad_code"),
        (Node("-A", "Guion inicial", Level.section, "F"), "bad_code"),
        (Node("Ñ", "Eñe", Level.section, "F"), "bad_code"),
        (Node("A" * 33, "Largo", Level.section, "F"), "bad_code"),
        (Node("S", "Otra vez", Level.section, "F"), "duplicate_code"),
        (Node("X", "Huérfana", Level.section, "NADA"), "unknown_parent"),
        (Node("X", "Serie bajo fondo", Level.series, "F"), "wrong_parent_level"),
        (Node("X", "Subserie bajo sección", Level.subseries, "S"), "wrong_parent_level"),
        (Node("X", "Sección bajo sección", Level.section, "S"), "wrong_parent_level"),
        (Node("X", "Fondo bajo fondo", Level.fonds, "F"), "wrong_parent_level"),
        (Node("X", "Subsección bajo fondo", Level.subsection, "F"), "wrong_parent_level"),
        (Node("X", "Sección suelta", Level.section), "root_not_fonds"),
        (Node("X", "Serie suelta", Level.series), "root_not_fonds"),
        (Node("X", "Con tipos", Level.section, "F", ("letter",)), "types_not_allowed"),
        (Node("X", "Con tipos", Level.fonds, None, ("letter",)), "types_not_allowed"),
        (Node("X", "Tipo vacío", Level.series, "S", ("letter", " ")), "bad_document_type"),
        (Node("X", "Tipo doble", Level.series, "S", ("letter", "letter")), "bad_document_type"),
        (Node("X", "Separador", Level.series, "S", ("a;b",)), "bad_document_type"),
    ],
)
def test_each_invalid_node_is_refused_with_its_code(node: Node, code: str) -> None:
    error = _refused([FONDS, SECTION, SERIES, node], code)
    assert isinstance(error, ArchiveError)
    assert isinstance(error, ValueError)
    assert str(error) == error.message


def test_a_code_of_32_characters_is_allowed() -> None:
    code = "A" + "b-_9" * 7 + "xyz"
    assert len(code) == 32
    scheme = build_scheme([FONDS, Node(code, "Larga", Level.section, "F")])
    assert scheme.node(code).name == "Larga"


def test_an_unknown_level_is_refused_when_the_node_is_made() -> None:
    with pytest.raises(SchemeError) as caught:
        Node("X", "Carpeta", "folder")  # type: ignore[arg-type]
    assert caught.value.code == "bad_level"


def test_document_types_given_as_one_string_are_refused() -> None:
    with pytest.raises(SchemeError) as caught:
        Node("X", "Serie", Level.series, "S", "letter")  # type: ignore[arg-type]
    assert caught.value.code == "bad_document_type"


def test_a_cycle_is_refused_even_if_the_levels_allowed_one(monkeypatch: pytest.MonkeyPatch) -> None:
    # The levels only go down, so no cycle passes them; the walk still guards.
    monkeypatch.setitem(PARENT_LEVELS, Level.section, frozenset({Level.fonds, Level.section}))
    _refused(
        [FONDS, Node("A", "A", Level.section, "B"), Node("B", "B", Level.section, "A")],
        "cycle",
    )


def test_nodes_keep_their_text_stripped_and_their_level_typed() -> None:
    node = Node(" RES ", "  Resoluciones \n", "series", " ", (" resolution ",))  # type: ignore[arg-type]
    assert node == Node("RES", "Resoluciones", Level.series, None, ("resolution",))
    assert node.level is Level.series
    assert Node("A", "A", Level.fonds, "").parent is None


def test_the_order_is_parents_first_and_siblings_as_given() -> None:
    shuffled = [NODES[i] for i in (7, 5, 1, 6, 3, 4, 2, 0)]
    scheme = build_scheme(shuffled)
    # Depth first, the way a printed scheme reads: each node, then its subtree; DAJ's
    # children came as RES then CON, RES's as RESD then RESA.
    assert _codes(scheme.nodes) == ["MDS", "DAJ", "RES", "RESD", "RESA", "CON", "CTR", "CTRO"]
    assert Scheme(tuple(shuffled)) == scheme
    assert build_scheme(scheme.nodes) == scheme


def test_an_empty_scheme_is_a_scheme() -> None:
    scheme = build_scheme([])
    assert scheme.nodes == ()
    assert scheme.children(None) == ()
    assert scheme.series() == ()


def test_lookups() -> None:
    assert SCHEME.node("RES").name == "Resoluciones"
    assert _codes(SCHEME.children(None)) == ["MDS"]
    assert _codes(SCHEME.children("DAJ")) == ["CON", "RES"]
    assert SCHEME.children("RESA") == ()
    assert _codes(SCHEME.path("CTRO")) == ["MDS", "DAJ", "CON", "CTR", "CTRO"]
    assert _codes(SCHEME.path("MDS")) == ["MDS"]
    assert SCHEME.full_code("RESA") == "MDS.DAJ.RES.RESA"
    assert SCHEME.full_code("MDS") == "MDS"
    assert [SCHEME.fileable(code) for code in ("MDS", "DAJ", "CON", "RES", "RESA")] == [
        False,
        False,
        False,
        True,
        True,
    ]
    assert _codes(SCHEME.series()) == ["CTR", "CTRO", "RES", "RESA", "RESD"]


@pytest.mark.parametrize(
    "call",
    [
        lambda: SCHEME.node("NADA"),
        lambda: SCHEME.children("NADA"),
        lambda: SCHEME.path("NADA"),
        lambda: SCHEME.fileable("NADA"),
        lambda: SCHEME.allows("NADA", "letter"),
        lambda: SCHEME.full_code("NADA"),
    ],
)
def test_an_unknown_code_is_a_scheme_error_not_a_key_error(call: object) -> None:
    assert callable(call)
    with pytest.raises(SchemeError) as caught:
        call()
    assert caught.value.code == "unknown_node"


@pytest.mark.parametrize(
    ("code", "document_type", "allowed"),
    [
        ("RES", "resolution", True),
        ("RES", "letter", False),
        ("RESA", "annex", True),  # no list of its own: its series'
        ("RESA", "letter", False),
        ("RESD", "resolution", True),  # a list of its own, narrower
        ("RESD", "annex", False),
        ("CTR", "anything", True),  # an empty list allows any type
        ("CTRO", "anything", True),
        ("DAJ", "resolution", False),  # a section takes no documents
        ("MDS", "resolution", False),
    ],
)
def test_which_document_types_a_node_allows(code: str, document_type: str, allowed: bool) -> None:
    assert SCHEME.allows(code, document_type) is allowed


def test_changes_between_versions() -> None:
    new = build_scheme(
        [
            NODES[0],
            Node("DAJ", "Dirección Jurídica", Level.section, "MDS"),  # renamed
            NODES[2],
            NODES[3],
            Node("RESA", "Resoluciones administrativas", Level.series, "CON"),  # moved, relevelled
            Node("CTR", "Contratos", Level.series, "CON", ("contract",)),  # retyped
            Node("ACT", "Actas", Level.series, "DAJ"),  # added
        ]
    )
    assert changes(SCHEME, new) == SchemeChanges(
        added=("ACT",),
        removed=("CTRO", "RESD"),
        renamed=("DAJ",),
        moved=("RESA",),
        relevelled=("RESA",),
        retyped=("CTR",),
    )
    assert not changes(SCHEME, new).empty
    assert changes(SCHEME, SCHEME).empty
    assert changes(SCHEME, SCHEME) == SchemeChanges()


@given(schemes())
def test_a_scheme_compared_with_itself_changes_nothing(scheme: Scheme) -> None:
    assert changes(scheme, scheme).empty


@given(schemes(), st.randoms(use_true_random=False))
def test_building_is_stable_and_keeps_parents_first(
    scheme: Scheme, shuffler: random.Random
) -> None:
    nodes = list(scheme.nodes)
    shuffler.shuffle(nodes)
    rebuilt = build_scheme(nodes)
    assert set(rebuilt.nodes) == set(scheme.nodes)
    seen: set[str] = set()
    for node in rebuilt.nodes:
        assert node.parent is None or node.parent in seen
        seen.add(node.code)
        assert rebuilt.path(node.code)[-1] == node
        assert rebuilt.full_code(node.code).endswith(node.code)
    for parent in [None, *seen]:
        kids = rebuilt.children(parent)
        assert list(kids) == [node for node in nodes if node.parent == parent]


def test_errors_survive_pickling() -> None:
    # The service's batch workers send errors back to the parent process.
    pickled = pickle.dumps(SchemeError("unknown_parent", "no parent"))
    error = pickle.loads(pickled)  # noqa: S301 (bytes made just above)
    assert type(error) is SchemeError
    assert (error.code, error.message, str(error)) == ("unknown_parent", "no parent", "no parent")


def test_a_scheme_survives_pickling_and_hashes_as_its_nodes() -> None:
    copy = pickle.loads(pickle.dumps(SCHEME))  # noqa: S301 (bytes made here)
    assert copy == SCHEME
    assert hash(copy) == hash(SCHEME)
    assert copy.full_code("RESA") == "MDS.DAJ.RES.RESA"
