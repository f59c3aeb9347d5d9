"""The classification scheme (cuadro de clasificación documental): the tree of fonds,
sections, subsections, series and subseries under which every record is filed.

A ``Scheme`` is valid by construction: building one checks the whole tree and puts its
nodes in a stable order (each parent before its children, siblings in the order given),
so the same scheme always exports to the same CSV and JSON bytes, and a version of it
can be compared with the next (``changes``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from archive.errors import SchemeError
from archive.text_formats import JsonReader, read_csv, write_csv
from transparency.leaves import canonical


class Level(StrEnum):
    """The levels of ISAD(G) a scheme uses, from the top."""

    fonds = "fonds"  # fondo: the institution's whole archive
    section = "section"  # sección: an office or function
    subsection = "subsection"  # subsección
    series = "series"  # serie documental: where records are filed
    subseries = "subseries"  # subserie


# Which levels each level may hang from; a fonds hangs from none (it is a root).
PARENT_LEVELS: Final[Mapping[Level, frozenset[Level]]] = {
    Level.fonds: frozenset(),
    Level.section: frozenset({Level.fonds}),
    Level.subsection: frozenset({Level.section}),
    Level.series: frozenset({Level.section, Level.subsection}),
    Level.subseries: frozenset({Level.series}),
}
# Only series and subseries receive records, and so document types and retention rules.
FILEABLE: Final = frozenset({Level.series, Level.subseries})
# Short enough for a file plan reference and safe in URLs, file names and CSV cells.
CODE_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
# Document types are joined by it in a CSV cell, so no type may hold it.
TYPE_SEPARATOR: Final = ";"
SCHEME_CSV_HEADER: Final = ("code", "name", "level", "parent", "document_types")
LEVELS: Final = tuple(level.value for level in Level)


@dataclass(frozen=True, slots=True)
class Node:
    """One entry of the scheme. Text is kept stripped of surrounding spaces (CSV reading
    strips them, and a round trip must give back the same node); an empty ``parent``
    means a root, as an empty CSV cell does."""

    code: str
    name: str
    level: Level
    parent: str | None = None
    document_types: tuple[str, ...] = ()  # tipos documentales; series and subseries only

    def __post_init__(self) -> None:
        try:
            level = Level(self.level)
        except ValueError:
            raise SchemeError(
                "bad_level", f"node {self.code!r}: unknown level {self.level!r}"
            ) from None
        if isinstance(self.document_types, str):
            raise SchemeError(
                "bad_document_type",
                f"node {self.code!r}: document types are a sequence, not one string",
            )
        parent = self.parent.strip() if self.parent is not None else None
        object.__setattr__(self, "code", self.code.strip())
        object.__setattr__(self, "name", self.name.strip())
        object.__setattr__(self, "level", level)
        object.__setattr__(self, "parent", parent or None)
        object.__setattr__(
            self, "document_types", tuple(kind.strip() for kind in self.document_types)
        )

    @property
    def fileable(self) -> bool:
        return self.level in FILEABLE


@dataclass(frozen=True, slots=True)
class SchemeChanges:
    """What a new version of a scheme changes, as node codes.

    A new version may add and rename; the service refuses one that removes a node with
    records filed under it, or moves or re-levels such a node, from these.
    """

    added: tuple[str, ...] = ()  # in the new scheme's order
    removed: tuple[str, ...] = ()  # in the old scheme's order; the rest in the new one's
    renamed: tuple[str, ...] = ()
    moved: tuple[str, ...] = ()  # another parent
    relevelled: tuple[str, ...] = ()  # another level (a series made a subseries, say)
    retyped: tuple[str, ...] = ()  # other document types

    @property
    def empty(self) -> bool:
        return not (
            self.added
            or self.removed
            or self.renamed
            or self.moved
            or self.relevelled
            or self.retyped
        )


@dataclass(frozen=True, slots=True)
class Scheme:
    """A valid classification scheme; ``Scheme(nodes)`` is ``build_scheme(nodes)``.

    Lookups raise ``SchemeError("unknown_node")`` rather than ``KeyError``, which the
    service answers as a client's mistake.
    """

    nodes: tuple[Node, ...]
    _by_code: Mapping[str, Node] = field(init=False, repr=False, compare=False)
    _children: Mapping[str | None, tuple[Node, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        nodes, by_code, children = _checked(tuple(self.nodes))
        object.__setattr__(self, "nodes", nodes)
        object.__setattr__(self, "_by_code", by_code)
        object.__setattr__(self, "_children", children)

    def node(self, code: str) -> Node:
        try:
            return self._by_code[code]
        except KeyError:
            raise SchemeError("unknown_node", f"no node {code!r} in the scheme") from None

    def children(self, code: str | None) -> tuple[Node, ...]:
        """The nodes directly under ``code``; under ``None``, the roots (fonds)."""
        if code is not None:
            self.node(code)
        return self._children.get(code, ())

    def path(self, code: str) -> tuple[Node, ...]:
        """From the root (a fonds) down to the node itself."""
        path = [self.node(code)]
        while (parent := path[-1].parent) is not None:
            path.append(self._by_code[parent])
        return tuple(reversed(path))

    def fileable(self, code: str) -> bool:
        """Whether records may be filed under the node: a series or subseries."""
        return self.node(code).fileable

    def series(self) -> tuple[Node, ...]:
        """Every fileable node (series and subseries), in the scheme's order."""
        return tuple(node for node in self.nodes if node.fileable)

    def allows(self, code: str, document_type: str) -> bool:
        """Whether a document of this type may be filed under the node.

        Only series and subseries take documents. An empty list allows any type; a
        subseries without a list of its own follows its series'.
        """
        node = self.node(code)
        if not node.fileable:
            return False
        types = node.document_types
        if not types and node.level is Level.subseries and node.parent is not None:
            types = self._by_code[node.parent].document_types
        return not types or document_type in types

    def full_code(self, code: str) -> str:
        """The codes from the root down, joined by dots: ``MDS.DAJ.RES``."""
        return ".".join(node.code for node in self.path(code))


def build_scheme(nodes: Iterable[Node]) -> Scheme:
    """Check ``nodes`` as a tree and return them as a scheme in its stable order."""
    return Scheme(tuple(nodes))


def _checked(
    nodes: tuple[Node, ...],
) -> tuple[tuple[Node, ...], dict[str, Node], dict[str | None, tuple[Node, ...]]]:
    by_code: dict[str, Node] = {}
    for node in nodes:
        _check_node(node)
        if node.code in by_code:
            raise SchemeError("duplicate_code", f"node {node.code!r} appears twice")
        by_code[node.code] = node
    children: dict[str | None, list[Node]] = {}
    for node in nodes:
        _check_parent(node, by_code)
        children.setdefault(node.parent, []).append(node)
    # Depth first from the roots: each parent before its children, and a printed scheme
    # reads as the tree it is.
    ordered: list[Node] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        node = stack.pop()
        ordered.append(node)
        stack.extend(reversed(children.get(node.code, [])))
    if len(ordered) != len(nodes):
        # The levels only ever go down, so no cycle can pass the checks above; a node
        # the walk did not reach would still be one, and is never silently dropped.
        lost = sorted(set(by_code) - {node.code for node in ordered})
        raise SchemeError("cycle", f"nodes {', '.join(lost)} form a cycle")
    return (
        tuple(ordered),
        by_code,
        {parent: tuple(kids) for parent, kids in children.items()},
    )


def _check_node(node: Node) -> None:
    if not node.code or not node.name:
        raise SchemeError("empty_field", f"node {node.code!r}: code and name are required")
    if not CODE_PATTERN.fullmatch(node.code):
        raise SchemeError(
            "bad_code",
            f"node {node.code!r}: a code is 1 to 32 letters, digits, '-' or '_', "
            "starting with a letter or digit",
        )
    if node.document_types and not node.fileable:
        raise SchemeError(
            "types_not_allowed",
            f"node {node.code!r}: only series and subseries have document types",
        )
    seen: set[str] = set()
    for kind in node.document_types:
        if not kind or TYPE_SEPARATOR in kind or kind in seen:
            raise SchemeError(
                "bad_document_type",
                f"node {node.code!r}: document type {kind!r} is empty, repeated or holds "
                f"{TYPE_SEPARATOR!r}",
            )
        seen.add(kind)


def _check_parent(node: Node, by_code: Mapping[str, Node]) -> None:
    if node.parent is None:
        if node.level is not Level.fonds:
            raise SchemeError(
                "root_not_fonds", f"node {node.code!r}: only a fonds may have no parent"
            )
        return
    parent = by_code.get(node.parent)
    if parent is None:
        raise SchemeError(
            "unknown_parent", f"node {node.code!r}: no parent {node.parent!r} in the scheme"
        )
    if parent.level not in PARENT_LEVELS[node.level]:
        raise SchemeError(
            "wrong_parent_level",
            f"node {node.code!r}: a {node.level} cannot hang from a {parent.level}",
        )


def scheme_to_csv(scheme: Scheme) -> str:
    """The scheme as CSV, one node a row in the scheme's order; types joined by ``;``."""
    return write_csv(
        SCHEME_CSV_HEADER,
        (
            (
                node.code,
                node.name,
                node.level.value,
                node.parent or "",
                TYPE_SEPARATOR.join(node.document_types),
            )
            for node in scheme.nodes
        ),
    )


def scheme_from_csv(text: str) -> Scheme:
    """A scheme from CSV as ``scheme_to_csv`` writes it or a spreadsheet saves it."""
    nodes: list[Node] = []
    for line, row in read_csv(text, SCHEME_CSV_HEADER, SchemeError):
        level = row["level"].lower()
        if level not in LEVELS:
            raise SchemeError("bad_csv", f"line {line}: unknown level {row['level']!r}")
        types = (kind.strip() for kind in row["document_types"].split(TYPE_SEPARATOR))
        nodes.append(
            Node(
                code=row["code"],
                name=row["name"],
                level=Level(level),
                parent=row["parent"] or None,
                # A trailing ";" a person typed is not a type.
                document_types=tuple(kind for kind in types if kind),
            )
        )
    return build_scheme(nodes)


def scheme_to_json(scheme: Scheme) -> bytes:
    """The scheme as RFC 8785 canonical JSON: the same scheme, the same bytes."""
    return canonical(
        {
            "nodes": [
                {
                    "code": node.code,
                    "name": node.name,
                    "level": node.level.value,
                    "parent": node.parent,
                    "document_types": list(node.document_types),
                }
                for node in scheme.nodes
            ]
        }
    )


def scheme_from_json(data: bytes | str) -> Scheme:
    """A scheme from JSON as ``scheme_to_json`` writes it (``parent`` and
    ``document_types`` may be left out); malformed JSON is ``SchemeError("bad_json")``."""
    read = JsonReader(SchemeError, "bad_json")
    document = read.fields(read.load(data), "document", ("nodes",))
    nodes: list[Node] = []
    for index, value in enumerate(read.items(document, "nodes", "document")):
        where = f"nodes[{index}]"
        fields = read.fields(value, where, ("code", "name", "level"), ("parent", "document_types"))
        nodes.append(
            Node(
                code=read.text(fields, "code", where),
                name=read.text(fields, "name", where),
                level=Level(read.choice(fields, "level", where, LEVELS)),
                parent=read.optional_text(fields, "parent", where),
                document_types=(
                    read.texts(fields, "document_types", where)
                    if "document_types" in fields
                    else ()
                ),
            )
        )
    return build_scheme(nodes)


def changes(old: Scheme, new: Scheme) -> SchemeChanges:
    """What ``new`` changes of ``old``, node by node (matched by code)."""
    before = {node.code: node for node in old.nodes}
    after = {node.code: node for node in new.nodes}
    kept = [(before[node.code], node) for node in new.nodes if node.code in before]
    return SchemeChanges(
        added=tuple(code for code in after if code not in before),
        removed=tuple(code for code in before if code not in after),
        renamed=tuple(a.code for a, b in kept if a.name != b.name),
        moved=tuple(a.code for a, b in kept if a.parent != b.parent),
        relevelled=tuple(a.code for a, b in kept if a.level != b.level),
        retyped=tuple(a.code for a, b in kept if a.document_types != b.document_types),
    )
