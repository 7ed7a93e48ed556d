"""GraphQL object types. Built from rows explicitly, so tables and schema evolve apart."""
