"""monitor/: read annual reports, extract their structure, run the rule catalogue, render the digest."""

# Bumped whenever extraction changes what it reads, so stored reports can be re-parsed (`nianbao reparse`).
PARSER_VERSION = "1"
