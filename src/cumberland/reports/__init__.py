"""Report and export writers: they read the store and never show media content."""
