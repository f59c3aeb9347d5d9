"""The difference analysis used for every signature: pyHanko's default rules, except that a
document timestamp is recognised by what it is, not by the ``/Type`` its dictionary claims.

pyHanko clears an invisible document timestamp added after a signature at the level of
long-term-validation updates only when its dictionary says ``/Type /DocTimeStamp``. Files
from some products write ``/Type /Sig`` or no ``/Type`` (see ``signing.lenient_reading``);
counted as form filling, such a timestamp would turn a B-LTA signature's "validation data
and timestamps only" into "form filling", and break a certification signature that allows
no changes. Here a signature dictionary with ``/SubFilter /ETSI.RFC3161`` and no visible
widget is cleared at the same level as a well-typed one.

It also lets a later signature set ``/SigFlags`` in the form dictionary. poppler's
``pdfsig`` signs without setting it, and the next signer (pyHanko's, docsvc's, Adobe's) sets
"signatures exist, append only": pyHanko then called the countersigned file modified. The
flags tell a viewer how to save the file; they draw nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from pyhanko.pdf_utils import generic
from pyhanko.sign.diff_analysis import (
    DEFAULT_DIFF_POLICY,
    FieldComparisonContext,
    FieldComparisonSpec,
    FormUpdate,
    FormUpdatingRule,
    ModificationLevel,
    SigFieldModificationRule,
    StandardDiffPolicy,
)
from pyhanko.sign.diff_analysis.rules.form_field_rules import is_field_visible

TIMESTAMP_SUBFILTER = "/ETSI.RFC3161"


def _is_untyped_timestamp(update: FormUpdate, field: generic.DictionaryObject | None) -> bool:
    if field is None or is_field_visible(field):  # type: ignore[no-untyped-call]
        return False
    target = update.updated_ref.get_object()
    return (
        isinstance(target, generic.DictionaryObject)
        and target.get("/SubFilter") == TIMESTAMP_SUBFILTER
        and target.get("/Type") != "/DocTimeStamp"
    )


class TimestampAwareSigFieldRule(SigFieldModificationRule):
    """``SigFieldModificationRule``, with the value of a newly filled signature field that is
    an invisible document timestamp cleared as a long-term-validation update whatever its
    ``/Type``."""

    def check_form_field(
        self,
        fq_name: str,
        spec: FieldComparisonSpec,
        context: FieldComparisonContext,
    ) -> Iterable[tuple[ModificationLevel, FormUpdate]]:
        for level, update in super().check_form_field(fq_name, spec, context):
            if level is ModificationLevel.FORM_FILLING and _is_untyped_timestamp(
                update, spec.new_field
            ):
                yield (
                    ModificationLevel.LTA_UPDATES,
                    dataclasses.replace(update, valid_when_locked=True),
                )
            else:
                yield level, update


def _policy() -> StandardDiffPolicy:
    form_rule = DEFAULT_DIFF_POLICY.form_rule
    assert form_rule is not None
    field_rules = [
        TimestampAwareSigFieldRule() if type(rule) is SigFieldModificationRule else rule
        for rule in form_rule.field_rules
    ]
    return StandardDiffPolicy(
        global_rules=DEFAULT_DIFF_POLICY.global_rules,
        form_rule=FormUpdatingRule(
            field_rules=field_rules,
            ignored_acroform_keys=form_rule.ignored_acroform_keys | {"/SigFlags"},
        ),
    )


DIFF_POLICY = _policy()
