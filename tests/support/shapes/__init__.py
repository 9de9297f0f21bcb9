"""Reports laid out the ways agencies publish them (WPS-style PDF, Word, LibreOffice PDF, portal page, text).

``build`` writes the committed fixtures of tests/fixtures/shapes/ (``python -m tests.support.shapes.build``)
and renders layouts on the fly for tests; ``content`` holds the reports, ``wps_pdf`` the WPS-like PDF writer.
"""
