"""The electronic register: numbered incoming and outgoing entries (and, with issue 5, the
transfers, receipts and the transparency log that proves it was never rewritten)."""
