"""Why a signer's certificate is not trusted, in terms a reader can act on.

pyHanko reports an untrusted chain with an ETSI sub-indication: "no certificate chain
found" for a self-signed certificate and for a missing intermediate alike, and "chain
constraints failure" for a certificate without the key usage of a signer and for a CA
certificate that may not issue certificates. The certificates say which: each cause gets its
own code (a ``signing.report.Reason``, keeping pyHanko's sub-indication) with the names of
the certificates concerned as parameters.

    self_signed        the signer's certificate is self-signed, and not a trust anchor
    unknown_issuer     no anchor issued it: its issuer is not in the file, or the chain the
                       file holds ends at a root that is not an anchor
    key_usage          the signer's certificate is not meant for signing
    not_a_ca           a certificate in the chain is not a certification authority
    chain_constraints  another constraint of the chain is broken
    weak_algorithm     the chain uses an algorithm no longer accepted
    no_revocation_info no usable revocation information
    chain_invalid      any other reason pyHanko gives

(Expiry and revocation are judged against the signing time in ``signing.verification``.)
"""

from __future__ import annotations

from collections.abc import Iterable

from asn1crypto import x509 as asn1_x509
from pyhanko.sign.ades.report import AdESIndeterminate, AdESSubIndic

from signing.report import Reason

SIGNING_KEY_USAGES = frozenset({"digital_signature", "non_repudiation"})
# A chain longer than this in a file is a loop or an attack; the walk stops there.
MAX_CHAIN = 16


def _name(cert: asn1_x509.Certificate) -> str:
    return str(cert.subject.human_friendly)


def _self_issued(cert: asn1_x509.Certificate) -> bool:
    return bool(cert.subject == cert.issuer)


def _chain_top(
    cert: asn1_x509.Certificate, known: Iterable[asn1_x509.Certificate]
) -> asn1_x509.Certificate | None:
    """The highest certificate the file's certificates lead to from ``cert``, following
    issuer names; ``None`` when not even the issuer is there."""
    by_subject = {c.subject.dump(): c for c in known}
    current, top = cert, None
    for _ in range(MAX_CHAIN):
        issuer = by_subject.get(current.issuer.dump())
        if issuer is None or issuer is current:
            break
        top = current = issuer
        if _self_issued(issuer):
            break
    return top


def _key_usages(cert: asn1_x509.Certificate) -> frozenset[str] | None:
    value = cert.key_usage_value
    return frozenset(value.native) if value is not None else None


def untrusted(
    cert: asn1_x509.Certificate,
    known: Iterable[asn1_x509.Certificate],
    problem: AdESSubIndic | None,
) -> Reason:
    """Why an untrusted signer's certificate is not trusted: a reason naming the
    certificates concerned. ``known`` are the certificates the file carries (in the
    signature and the DSS); ``problem`` is pyHanko's sub-indication, which the reason keeps
    (the table's default when pyHanko gives none)."""
    known = list(known)
    given = problem.standard_name if problem is not None else None
    usages = _key_usages(cert)
    if usages is not None and not usages & SIGNING_KEY_USAGES:
        return Reason.of("key_usage", given, key_usage=", ".join(sorted(usages)) or "none")
    if _self_issued(cert):
        # pyHanko calls it "no chain found" or "chain constraints failure" (a self-signed
        # certificate is seldom a CA's): either way, the reader wants to know this.
        return Reason.of("self_signed", given, certificate=_name(cert))
    if problem is None or problem is AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        issuer = str(cert.issuer.human_friendly)
        top = _chain_top(cert, known)
        if top is not None and _self_issued(top):
            # ``root`` equal to ``issuer``: the issuer itself is a root that is no anchor.
            root = issuer if top.subject == cert.issuer else _name(top)
            return Reason.of("unknown_issuer", given, issuer=issuer, root=root)
        missing = top.issuer.human_friendly if top is not None else issuer
        return Reason.of("unknown_issuer", given, issuer=issuer, missing=str(missing))
    if problem is AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE:
        for ca in known:
            constraints = ca.basic_constraints_value
            issued = any(c.issuer == ca.subject and c is not ca for c in [cert, *known])
            if issued and (constraints is None or not constraints["ca"].native):
                return Reason.of("not_a_ca", given, certificate=_name(ca))
        return Reason.of("chain_constraints", given)
    if problem in (
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE,
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    ):
        return Reason.of("weak_algorithm", given)
    if problem is AdESIndeterminate.TRY_LATER:
        return Reason.of("no_revocation_info", given)
    return Reason.of("chain_invalid", given)


def untrusted_reason(
    cert: asn1_x509.Certificate,
    known: Iterable[asn1_x509.Certificate],
    problem: AdESSubIndic | None,
) -> tuple[str, str]:
    """``untrusted`` as a code and its plain English (``signing.report.english``)."""
    reason = untrusted(cert, known, problem)
    return reason.code, reason.english()
