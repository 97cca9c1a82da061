"""Pipeline: plan, schedule, cache and write the editions; provenance."""
