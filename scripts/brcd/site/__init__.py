"""The Datasette site: metadata generated from the package (`metadata`), the server that runs it
(`serve`) and the Datasette plugin behind its pages (`plugin`, loaded from `site/plugins/`)."""
