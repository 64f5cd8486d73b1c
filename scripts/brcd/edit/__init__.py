"""Changing the package safely: add a row (`new`), put tables in canonical form (`fmt`), keep
each resource's `bytes` and `hash` in step with its file (`hash`)."""
