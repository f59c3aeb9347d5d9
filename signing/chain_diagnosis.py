"""Why a signer's certificate is not trusted, in terms a reader can act on.

pyHanko reports an untrusted chain with an ETSI sub-indication: "no certificate chain
found" for a self-signed certificate and for a missing intermediate alike, and "chain
constraints failure" for a certificate without the key usage of a signer and for a CA
certificate that may not issue certificates. The certificates say which: each cause gets its
own code and a sentence naming the certificate concerned.

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


def untrusted_reason(
    cert: asn1_x509.Certificate,
    known: Iterable[asn1_x509.Certificate],
    problem: AdESSubIndic | None,
) -> tuple[str, str]:
    """A code and a sentence for an untrusted signer's certificate. ``known`` are the
    certificates the file carries (in the signature and the DSS); ``problem`` is pyHanko's
    sub-indication."""
    known = list(known)
    usages = _key_usages(cert)
    if usages is not None and not usages & SIGNING_KEY_USAGES:
        listed = ", ".join(sorted(usages)) or "none"
        return (
            "key_usage",
            f"untrusted: the signer's certificate is not meant for signing (its key usage: "
            f"{listed})",
        )
    if _self_issued(cert):
        # pyHanko calls it "no chain found" or "chain constraints failure" (a self-signed
        # certificate is seldom a CA's): either way, the reader wants to know this.
        return (
            "self_signed",
            f"untrusted: the signer's certificate is self-signed ({_name(cert)}) and is "
            "not among the configured trust anchors",
        )
    if problem is None or problem is AdESIndeterminate.NO_CERTIFICATE_CHAIN_FOUND:
        issuer = cert.issuer.human_friendly
        top = _chain_top(cert, known)
        untrusted = (
            "untrusted: no configured trust anchor issued the signer's certificate "
            f"(its issuer: {issuer}"
        )
        if top is not None and _self_issued(top):
            if top.subject == cert.issuer:
                return "unknown_issuer", f"{untrusted}, a root that is not a trust anchor)"
            return (
                "unknown_issuer",
                f"{untrusted}); its chain ends at the root {_name(top)}, which is not a trust "
                "anchor",
            )
        missing = top.issuer.human_friendly if top is not None else issuer
        return (
            "unknown_issuer",
            f"{untrusted}); the certificate of {missing} is neither a trust anchor nor in the file",
        )
    if problem is AdESIndeterminate.CHAIN_CONSTRAINTS_FAILURE:
        for ca in known:
            constraints = ca.basic_constraints_value
            issued = any(c.issuer == ca.subject and c is not ca for c in [cert, *known])
            if issued and (constraints is None or not constraints["ca"].native):
                return (
                    "not_a_ca",
                    f"untrusted: {_name(ca)} issued a certificate in the signer's chain but is "
                    "not a certification authority",
                )
        return (
            "chain_constraints",
            "untrusted: the signer's certificate chain breaks a constraint of its issuers",
        )
    if problem in (
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE,
        AdESIndeterminate.CRYPTO_CONSTRAINTS_FAILURE_NO_POE,
    ):
        return "weak_algorithm", "untrusted: the chain uses an algorithm no longer accepted"
    if problem is AdESIndeterminate.TRY_LATER:
        return (
            "no_revocation_info",
            "untrusted: no usable revocation information for the signer's certificate",
        )
    return "chain_invalid", "untrusted: the signer's certificate chain is not valid"
