"""Pure business decisions: values in, decisions or domain errors out. No I/O here."""
