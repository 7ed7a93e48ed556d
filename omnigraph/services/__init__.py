"""Use cases. Each public function opens or takes a unit of work, asks the domain, persists."""
