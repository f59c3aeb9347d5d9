"""Local accounts, passwords, API tokens and web sessions."""
