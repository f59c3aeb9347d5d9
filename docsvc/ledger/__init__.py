"""The register's ledger: every recorded fact appended as a leaf of the transparency log
(``events``, ``log``), its signed checkpoints (``checkpoints``) and the log's own audit
(``audit``). A kernel below every feature that records facts; the tree hashing, proofs and
note formats are the framework-free ``transparency`` library's."""
