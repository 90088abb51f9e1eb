"""JupyterLab for the UI test of the first day on ModelArts (day-one-server.sh): galata's settings
only. Nothing of the extension is configured here: the server runs from an env without the
package, and the page reaches the service through the service kernel after the install."""

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # type: ignore[name-defined] # noqa: F821
configure_jupyter_server(c)
c.ServerApp.port = 8891
