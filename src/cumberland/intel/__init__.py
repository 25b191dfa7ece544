"""Intelligence: core packages that read the store to answer questions across records."""
