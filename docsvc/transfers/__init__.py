"""Transfers between departments with signed notes, and signed receipts."""
