"""Hypothesis strategies for valid schemes and rules, shared by the archive's tests."""

from __future__ import annotations

from hypothesis import strategies as st

from archive.classification import FILEABLE, PARENT_LEVELS, Level, Node, Scheme, build_scheme
from archive.retention import MAX_YEARS, Disposition, Rule, Trigger

CODE_START = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

codes = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(CODE_START),
    st.text(alphabet=CODE_START + "-_", max_size=31),
)
# Any text a person may type, surrogates aside (not text at all), quotes, commas, line
# breaks and accents included; kept stripped, as nodes and rules keep it.
texts = st.text(st.characters(exclude_categories=["Cs"]), max_size=40).map(str.strip)
names = texts.filter(bool)
document_types = st.lists(names.filter(lambda kind: ";" not in kind), max_size=4, unique=True).map(
    tuple
)


@st.composite
def schemes(draw: st.DrawFn, max_nodes: int = 14) -> Scheme:
    """A valid scheme: each node drawn as a fonds or under a node already drawn."""
    nodes: list[Node] = []
    for code in draw(st.lists(codes, min_size=1, max_size=max_nodes, unique=True)):
        places: list[tuple[Level, str | None]] = [(Level.fonds, None)]
        places += [
            (level, parent.code)
            for parent in nodes
            for level in Level
            if parent.level in PARENT_LEVELS[level]
        ]
        level, parent = draw(st.sampled_from(places))
        types = draw(document_types) if level in FILEABLE else ()
        nodes.append(Node(code, draw(names), level, parent, types))
    return build_scheme(draw(st.permutations(nodes)) if draw(st.booleans()) else nodes)


@st.composite
def rules(draw: st.DrawFn, series_code: st.SearchStrategy[str] = codes) -> Rule:
    trigger = draw(st.sampled_from(Trigger))
    event = draw(names) if trigger is Trigger.event else ""
    return Rule(
        series_code=draw(series_code),
        office_years=draw(st.integers(0, MAX_YEARS)),
        central_years=draw(st.integers(0, MAX_YEARS)),
        disposition=draw(st.sampled_from(Disposition)),
        trigger=trigger,
        trigger_event=event,
        legal_basis=draw(texts),
        procedure=draw(texts),
    )
