"""The outbox and its fan-out to subscriptions and plugin hooks."""
