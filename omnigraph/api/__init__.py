"""The GraphQL API: thin translators between the schema and the services."""
