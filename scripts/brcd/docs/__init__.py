"""Documents generated from the package, so that no description is written twice: the codebook
(`codebook`: every table and field, read from the Table Schemas), the README's generated blocks
(`blocks`: row counts, lines filled by named queries), the README for data users that ships in a
release, and CITATION.cff's version (`generate`: writes them all, or with `check` lists what is
stale). `brcd codebook [--check]` is the command."""
