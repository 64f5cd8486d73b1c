"""The Datasette site: metadata generated from the package (`metadata`), the server that runs it
(`serve`) and the Datasette plugins behind its pages (`plugin`, and `codebook` for `/codebook`, each loaded
from a shim in `site/plugins/`)."""
