"""A seized platform's records, from the dump to a referral package per country.

``mapping`` (the TOML file saying which column is what) → ``readers``/``sqldump`` (CSV, JSON
Lines, SQLite, MySQL/PostgreSQL dumps, streamed without a database server) → ``importer``
(one transaction into the store) → ``media`` (content activity joined with the case's media)
→ ``resolution`` (accounts into persons, every link with its evidence) → ``attribution``
(countries with confidence, conflicts kept) → ``packages`` (a folder per country). The core
never imports the CLI or the web app.
"""
