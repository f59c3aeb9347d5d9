"""What tests share besides fixtures: plain helper functions, classes and constants.

Fixtures stay in the ``conftest.py`` files (which may use these helpers); a test imports
helpers from here, never from a ``conftest.py`` or from another test module.

- ``accounts``: logging in as a demo user;
- ``backends``: a whole seeded institution on one backend pair (``Backend``);
- ``browser``: Debian's Chromium and the screenshots of the browser tests;
- ``cli``: running ``docsvc`` as a command;
- ``documents``: uploading a document through the API;
- ``faulty_store``: an object store that fails in the middle of a write;
- ``files_from_elsewhere``: signed files made by other products, with their verdicts;
- ``holdings``: what a backend holds, to show that a refused request stored nothing;
- ``live_server``: the service served by uvicorn in a thread;
- ``pages``: reading the HTML pages (their CSRF token);
- ``pdfs``: fresh valid PDFs and the committed hostile samples;
- ``pdfsig``: poppler's pdfsig as an independent validator;
- ``pki``: a development PKI's constants, trust root, TSA and validation material;
- ``register``: registering a letter, and a demo user's ``Actor``;
- ``s3``: buckets and clients on the harness's S3 server;
- ``served``: ``docsvc serve`` in a child process, for outside validators.
"""
