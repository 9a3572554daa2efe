"""Great Expectations suites derived from the data contracts, and the one place GE is configured."""
