"""First-party connector plugins, each registered in the ``omnigraph`` entry-point group."""
