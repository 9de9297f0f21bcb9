"""monitor/: the library at the bottom — read annual reports, extract their structure, run the rule catalogue.

It imports nothing of storage/, nianbao/ or crawler/ (a contract in `make test` enforces it).
"""
