"""``nianbao serve``: the digest of any week, agency pages, stored copies and a findings filter, live.

A small Flask application (``app.py``) served by waitress (``run``), reading the
archive through the same builders and templates as ``nianbao digest``, so the
pages are the ones a supervisor already knows. Review actions write through
``storage.reviews``. Bound to loopback by default; on any other address every
request needs a login (``[serve.users]`` in the config file: user names and
password hashes), and every review is protected against cross-site requests.
"""
