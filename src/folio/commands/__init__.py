"""Commands beside the build: serve, diff, stats, proof, verify, release."""
