"""Trace An Object: objects cut out of a case's pictures, sanitised, checked, approved by a
second person and published on a static site; tips from the public brought back into the case
(docs/trace-an-object.md). The public tips server is the separate edge package
``cumberland.tips``: nothing here imports it, and it imports nothing of the core."""
