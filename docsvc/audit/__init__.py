"""The audit trail: every read, download, creation and change, queried by auditors."""
