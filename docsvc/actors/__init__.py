"""Who is calling: the ``Actor`` every service function receives, and how a session token
becomes one. A kernel below identity and audit, so that request dependencies (``deps``) can
authenticate without importing the features that record what people do."""
