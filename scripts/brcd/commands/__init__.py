"""One module per `brcd` command; each defines `register(app)`."""
