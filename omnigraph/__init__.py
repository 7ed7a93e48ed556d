"""omnigraph: omnichannel order management and fulfilment behind one GraphQL API."""

__version__ = "0.1.0"
