"""How government portals present their reports: titles, links, a report page's dates, title and body.

The one reader of a portal page: the crawler uses it to find and date a
report, ``nianbao check`` (through the HTML reader) to read one, so both see
the same publication date by the same precedence (``dates.py``).
"""
