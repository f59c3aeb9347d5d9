"""Who reads beyond their own department in the register, its transfers and its cases."""

from __future__ import annotations

from docsvc.models import Role

# Administrators, auditors and archivists read every department's entries, transfers and
# case histories; everyone else their own department's.
READ_ALL_ROLES = frozenset({Role.admin, Role.auditor, Role.archivist})
