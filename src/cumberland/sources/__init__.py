"""Evidence sources: they yield every entry they see and never write to the evidence."""
