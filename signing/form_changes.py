"""Form filling after a signature that changes more than the fields' values: shadow attacks.

After an approval signature, filling in a form field is allowed: its value (``/V``) and the
appearance that value produces. pyHanko's difference analysis allows any new appearance
stream for a field at that level, whether or not the value changed, and never looks at what
the appearance draws. Mainka, Mladenov and Rohlmann ("Shadow Attacks", NDSS 2021) use that:
a widget's appearance hides or replaces signed content while the value stays as signed, or
says something other than the new value. So, for a signature whose later changes pyHanko
classes as form filling, the fields are compared between the signed revision and the final
file, and where the structure cannot decide, what the two render (PDFium, as the EU's DSS
does):

- ``form_appearance_changed``: a field's appearance was replaced while its value stayed as
  signed, and the page no longer looks as signed there (an appearance regenerated
  identically is fine);
- ``form_value_mismatch``: a filled-in text or choice field's appearance shows other text
  than its new value;
- ``form_uncovers_content``: filling a field in made visible page content that its signed
  appearance covered;
- ``visible_content_changed``: the page looks different outside every field filled in.

Each is a change to signed content: the signature is invalid, with a reason naming the field
or page.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.reader import HistoricalResolver, PdfFileReader

from signing import page_rendering
from signing.page_rendering import Box, Raster, Rect, RenderingError

MAX_DEPTH = 12
MAX_FIELDS = 5000
MAX_PAGES_RENDERED = 20
# Pixels by which an allowed rectangle grows: a widget's edge is drawn on either side of it.
EDGE = 2
# Below this many uncovered dark pixels, an anti-aliasing difference; above, text.
UNCOVERED_PIXELS = 12
DARK = 160
PASSWORD_FLAG = 1 << 13
PUSH_BUTTON_FLAG = 1 << 16


@dataclass(frozen=True, slots=True)
class FormFinding:
    """What the form filling changed beyond the values: a reason code and its parameters
    (the field's name, the page, the state or text shown); the words are the caller's."""

    code: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: str, **params: object) -> FormFinding:
        return cls(code, tuple((k, str(v)) for k, v in params.items() if v is not None))


@dataclass(frozen=True, slots=True)
class Widget:
    ref: tuple[int, int] | None
    page: int | None
    rect: Rect
    appearance: str  # a digest of what /AP and /AS make it draw
    state: str | None  # /AS


@dataclass(slots=True)
class Field:
    name: str
    kind: str
    value: str  # a digest of /V
    text: str | None  # /V as text, for text and choice fields
    flags: int
    formatted: bool  # a format action (/AA /F) turns the value into what is shown
    options: list[tuple[str, str]] = field(default_factory=list)
    widgets: list[Widget] = field(default_factory=list)


def _digest(obj: generic.PdfObject, depth: int = 0, seen: frozenset[int] = frozenset()) -> bytes:
    """A digest of an object and what it refers to, as resolved in its revision."""
    if depth > MAX_DEPTH:
        return b"deep"
    if isinstance(obj, generic.IndirectObject):
        if obj.idnum in seen:
            return b"loop"
        return _digest(_resolved(obj), depth + 1, seen | {obj.idnum})
    hasher = hashlib.sha256(type(obj).__name__.encode())
    if isinstance(obj, generic.StreamObject):
        hasher.update(obj.encoded_data or b"")
    if isinstance(obj, generic.DictionaryObject):
        for key in sorted(obj.keys()):
            hasher.update(str(key).encode() + _digest(obj.raw_get(key), depth + 1, seen))
    elif isinstance(obj, generic.ArrayObject):
        for item in obj:
            hasher.update(_digest(item, depth + 1, seen))
    elif isinstance(obj, (generic.TextStringObject, generic.ByteStringObject)):
        hasher.update(obj.original_bytes)
    else:
        hasher.update(repr(obj).encode())
    return hasher.digest()


def _resolved(obj: generic.PdfObject) -> generic.PdfObject:
    """``get_object``, through the typed ``Reference``."""
    return obj.reference.get_object() if isinstance(obj, generic.IndirectObject) else obj


def _text(value: generic.PdfObject | None) -> str | None:
    if isinstance(value, (generic.TextStringObject, generic.ByteStringObject)):
        return str(value)
    if isinstance(value, generic.NameObject):
        return str(value)[1:]
    if isinstance(value, generic.ArrayObject):
        return " ".join(t for t in (_text(_resolved(item)) for item in value) if t)
    return None


def _rect(annotation: generic.DictionaryObject) -> Rect:
    try:
        x1, y1, x2, y2 = (float(n) for n in annotation["/Rect"])
    except (KeyError, TypeError, ValueError):
        return (0.0, 0.0, 0.0, 0.0)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _ref(obj: generic.PdfObject) -> tuple[int, int] | None:
    if isinstance(obj, generic.IndirectObject):
        return (obj.idnum, obj.generation)
    return None


def _pages_of_annotations(handler: HistoricalResolver) -> dict[tuple[int, int], int]:
    """Which page each annotation (by object number) sits on."""
    found: dict[tuple[int, int], int] = {}
    index = 0
    stack: list[tuple[generic.PdfObject, int]] = [(handler.root.raw_get("/Pages"), 0)]
    seen: set[tuple[int, int]] = set()
    while stack:
        raw, depth = stack.pop()
        ref = _ref(raw)
        if ref is not None:
            if ref in seen or depth > MAX_DEPTH * 4:
                continue
            seen.add(ref)
        node = _resolved(raw)
        if not isinstance(node, generic.DictionaryObject):
            continue
        kids = node.get("/Kids")
        if isinstance(kids, generic.ArrayObject):
            stack.extend((kid, depth + 1) for kid in reversed(list(kids)))
            continue
        annotations = node.get("/Annots")
        if isinstance(annotations, generic.ArrayObject):
            for annotation in annotations:
                annotation_ref = _ref(annotation)
                if annotation_ref is not None:
                    found.setdefault(annotation_ref, index)
        index += 1
    return found


def _widget(raw: generic.PdfObject, pages: dict[tuple[int, int], int]) -> Widget:
    annotation = _resolved(raw)
    assert isinstance(annotation, generic.DictionaryObject)
    ref = _ref(raw)
    state = annotation.get("/AS")
    appearance = hashlib.sha256(
        _digest(annotation.raw_get("/AP")) if "/AP" in annotation else b"none"
    )
    appearance.update(str(state).encode())
    return Widget(
        ref=ref,
        page=pages.get(ref) if ref is not None else None,
        rect=_rect(annotation),
        appearance=appearance.hexdigest(),
        state=str(state) if state is not None else None,
    )


def _fields(handler: HistoricalResolver) -> dict[str, Field]:
    """Every terminal field of the form as it stood in ``handler``'s revision."""
    try:
        form = handler.root.get("/AcroForm")
        top = form.get("/Fields") if isinstance(form, generic.DictionaryObject) else None
    except (KeyError, TypeError):
        return {}
    if not isinstance(top, generic.ArrayObject):
        return {}
    pages = _pages_of_annotations(handler)
    found: dict[str, Field] = {}
    seen: set[tuple[int, int]] = set()

    def walk(
        kids: generic.ArrayObject, parent: str, inherited: dict[str, generic.PdfObject], depth: int
    ) -> Iterator[Field]:
        for raw in kids:
            ref = _ref(raw)
            if ref is None or ref in seen or depth > MAX_DEPTH or len(seen) > MAX_FIELDS:
                continue
            seen.add(ref)
            node = raw.get_object()
            if not isinstance(node, generic.DictionaryObject):
                continue
            name = node.get("/T")
            if name is None and node.get("/Subtype") == "/Widget":
                continue  # a widget of its parent, collected there
            full = f"{parent}.{name}" if parent and name is not None else str(name or parent)
            attributes = dict(inherited)
            for key in ("/FT", "/V", "/Ff", "/Opt"):
                if key in node:
                    attributes[key] = node.raw_get(key)
            children = node.get("/Kids")
            child_fields = (
                [k for k in children if isinstance(k.get_object(), generic.DictionaryObject)]
                if isinstance(children, generic.ArrayObject)
                else []
            )
            named_kids = [k for k in child_fields if "/T" in k.get_object()]
            if named_kids:
                yield from walk(generic.ArrayObject(named_kids), full, attributes, depth + 1)
                continue
            widgets = [k for k in child_fields if "/T" not in k.get_object()]
            if node.get("/Subtype") == "/Widget" or not widgets:
                widgets = [raw, *widgets]
            value = attributes.get("/V")
            options = []
            opt = attributes.get("/Opt")
            listed = _resolved(opt) if opt is not None else None
            if isinstance(listed, generic.ArrayObject):
                for raw_item in listed:
                    item = _resolved(raw_item)
                    if isinstance(item, generic.ArrayObject) and len(item) == 2:
                        options.append((_text(item[0]) or "", _text(item[1]) or ""))
                    else:
                        options.append((_text(item) or "", _text(item) or ""))
            actions = node.get("/AA")
            flags = attributes.get("/Ff")
            yield Field(
                name=full,
                kind=str(attributes.get("/FT", "")),
                value=_digest(value).hex() if value is not None else "",
                text=_text(_resolved(value)) if value is not None else None,
                flags=int(flags) if isinstance(flags, generic.NumberObject) else 0,
                formatted=isinstance(actions, generic.DictionaryObject) and "/F" in actions,
                options=options,
                widgets=[_widget(w, pages) for w in widgets],
            )

    for item in walk(top, "", {}, 0):
        found.setdefault(item.name, item)
    return found


@dataclass(frozen=True, slots=True)
class _Change:
    name: str
    before: Field | None
    after: Field
    value_changed: bool
    changed_widgets: tuple[Widget, ...]


def _changes(before: dict[str, Field], after: dict[str, Field]) -> list[_Change]:
    changes = []
    for name, now in after.items():
        then = before.get(name)
        old_widgets = {w.ref: w for w in then.widgets} if then is not None else {}
        changed = tuple(
            w
            for w in now.widgets
            if w.ref not in old_widgets or old_widgets[w.ref].appearance != w.appearance
        )
        value_changed = then is None or then.value != now.value
        if changed or value_changed:
            changes.append(_Change(name, then, now, value_changed, changed))
    return changes


def _shown_text(page_only: str, flattened: str) -> str:
    """What the appearances add to the page's own text, without whitespace."""
    remaining = Counter("".join(page_only.split()))
    shown = []
    for character in "".join(flattened.split()):
        if remaining[character] > 0:
            remaining[character] -= 1
        else:
            shown.append(character)
    return "".join(shown)


def _shows_value(change: _Change, shown: str) -> bool:
    expected = change.after.text or ""
    candidates = [expected] + [
        display for export, display in change.after.options if export == expected
    ]
    for candidate in candidates:
        wanted = "".join(candidate.split())
        if change.after.formatted:
            # A format action shows 1234.5 as "1.234,50 $": the value's letters and digits,
            # in order, among what is shown.
            letters = iter(c for c in shown if c.isalnum())
            if all(c in letters for c in wanted if c.isalnum()):
                return True
        elif shown == wanted:
            return True
    return False


def _uncovered(signed: Raster, bare: Raster, final: Raster, box: Box) -> int:
    """Dark pixels of the page's own content that the signed appearance covered and the new
    one shows."""
    x1, y1, x2, y2 = box
    count = 0
    for y in range(y1, y2):
        for x in range(x1, x2):
            page = bare.at(x, y)
            if page < DARK and signed.at(x, y) != page and final.at(x, y) == page:
                count += 1
    return count


def _signed_bytes(path: Path, end: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(end)


def findings(
    reader: PdfFileReader, path: Path, signed_revision: int, signed_end: int, final_end: int
) -> list[FormFinding]:
    """What the form filling after the signature of ``signed_revision`` (whose bytes end at
    ``signed_end``) changed beyond the fields' values; the file is read up to
    ``final_end``."""
    last = reader.xrefs.total_revisions - 1
    changes = _changes(
        _fields(reader.get_historical_resolver(signed_revision)),
        _fields(reader.get_historical_resolver(last)),
    )
    suspicious = [
        c for c in changes if c.after.kind != "/Sig" or (c.changed_widgets and not c.value_changed)
    ]
    if not suspicious:
        return []  # only signatures added or filled in: the structure decides
    allowed: dict[int, list[Rect]] = {}
    for change in changes:
        if change.value_changed:
            for widget in change.after.widgets:
                if widget.page is not None:
                    allowed.setdefault(widget.page, []).append(widget.rect)
    pages = sorted(
        {w.page for c in changes for w in c.changed_widgets if w.page is not None} | set(allowed)
    )[:MAX_PAGES_RENDERED]
    signed_data = _signed_bytes(path, signed_end)
    final_data = _signed_bytes(path, final_end)
    found: list[FormFinding] = []
    try:
        with (
            page_rendering.opened(signed_data) as signed_doc,
            page_rendering.opened(final_data) as final_doc,
        ):
            for page in pages:
                found += _compare_page(signed_doc, final_doc, page, changes, allowed.get(page, []))
        for change in changes:
            found += _check_filled(change, final_data)
    except RenderingError as exc:
        found.append(FormFinding.of("visible_content_changed", error=str(exc)))
    return found


def _compare_page(
    signed_doc: object,
    final_doc: object,
    page: int,
    changes: list[_Change],
    allowed: list[Rect],
) -> list[FormFinding]:
    signed = page_rendering.render(signed_doc, page, annotations=True)
    final = page_rendering.render(final_doc, page, annotations=True)
    masks = [final.box(rect, EDGE) for rect in allowed]
    differing = page_rendering.differing_pixels(signed, final, masks)
    found: list[FormFinding] = []
    if differing:
        named = set()
        for change in changes:
            if change.value_changed:
                continue
            for widget in change.changed_widgets:
                if widget.page != page:
                    continue
                x1, y1, x2, y2 = final.box(widget.rect, EDGE)
                if any(x1 <= x < x2 and y1 <= y < y2 for x, y in differing):
                    named.add(change.name)
        for name in sorted(named):
            found.append(FormFinding.of("form_appearance_changed", field=name))
        if not named:
            found.append(FormFinding.of("visible_content_changed", page=page + 1))
    bare = page_rendering.render(signed_doc, page, annotations=False)
    for change in changes:
        if not change.value_changed or change.after.kind == "/Sig":
            continue
        for widget in change.after.widgets:
            if widget.page == page and _uncovered(signed, bare, final, final.box(widget.rect)) > (
                UNCOVERED_PIXELS
            ):
                found.append(FormFinding.of("form_uncovers_content", field=change.name))
                break
    return found


def _check_filled(change: _Change, final_data: bytes) -> list[FormFinding]:
    """A filled-in field's appearance must show its new value."""
    after = change.after
    if not change.value_changed or not change.changed_widgets or after.kind == "/Sig":
        return []
    if after.kind == "/Btn":
        if after.flags & PUSH_BUTTON_FLAG:
            return []
        value = after.text or "Off"
        wrong = [w for w in change.changed_widgets if w.state not in (None, "/Off", f"/{value}")]
        if wrong:
            return [
                FormFinding.of(
                    "form_value_mismatch", field=change.name, state=wrong[0].state, value=value
                )
            ]
        return []
    if after.kind not in ("/Tx", "/Ch") or after.flags & PASSWORD_FLAG:
        return []
    for widget in change.changed_widgets:
        if widget.page is None:
            continue
        x1, y1, x2, y2 = widget.rect
        padded = (x1 - 1, y1 - 1, x2 + 1, y2 + 1)
        page_only, flattened = page_rendering.text_in(final_data, widget.page, padded)
        shown = _shown_text(page_only, flattened)
        if not _shows_value(change, shown):
            return [
                FormFinding.of(
                    "form_value_mismatch",
                    field=change.name,
                    shown=shown[:80],
                    value=(after.text or "")[:80],
                )
            ]
    return []
