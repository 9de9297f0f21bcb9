"""The demo: a sample portal built from the seed reports, crawled and digested by `make demo`."""
