"""Use cases combining domain and storage; Discord is reached only through small ports."""
