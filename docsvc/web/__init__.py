"""Server-rendered web pages (Spanish by default, English on request)."""
