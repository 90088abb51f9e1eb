"""JupyterLab for the UI test of a front end without its server half: the labextension is
installed, the server extension is not loaded (as when it is disabled or failed to load)."""

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # type: ignore[name-defined] # noqa: F821
configure_jupyter_server(c)
c.ServerApp.port = 8890
c.ServerApp.jpserver_extensions = {"jupyterlab_modelarts_snapshot": False}
