"""Records management with nothing of the service: the classification scheme, the
retention table, the phases of the archive's life cycle and the transfer inventory, as
frozen dataclasses and functions over them, with their CSV and JSON forms.

It imports no framework and no database: the service keeps these tables and records in
its own models and calls in here for the rules. JSON forms are RFC 8785 canonical
(``transparency.leaves.canonical``), so a table or an inventory has exactly one byte form
to sign and register.

Modules:

- ``classification``: the cuadro de clasificación documental (``Level``, ``Node``,
  ``Scheme``, ``build_scheme``, its CSV and JSON, ``changes`` between versions);
- ``retention``: the tabla de retención documental (``Rule``, ``Disposition``,
  ``Trigger``, ``TableState``, ``check_rules``, ``rule_for``, ``schedule``, its CSV and
  JSON);
- ``phases``: office, central and historical archive (``Phase``, ``Holding``) and what is
  due for transfer or disposal;
- ``inventory``: the FUID-style transfer inventory and its canonical record;
- ``text_formats``: the CSV and JSON reading they share;
- ``errors``: the exceptions below.

Exception tree (each error has a machine ``code`` the service answers with, and a
message)::

    ArchiveError         root of every error raised here (a ValueError); inventories
    │                    raise it directly ("bad_inventory")
    ├── SchemeError      the scheme or one of its files is invalid
    ├── RetentionError   a retention rule or one of its files is invalid
    └── TransitionError  a table state or archive phase change the life cycle forbids
"""

from archive.errors import ArchiveError, RetentionError, SchemeError, TransitionError

__all__ = ["ArchiveError", "RetentionError", "SchemeError", "TransitionError"]
