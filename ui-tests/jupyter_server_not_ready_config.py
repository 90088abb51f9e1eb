"""JupyterLab for the UI tests' not-ready state: the extension with nothing configured."""

import os
import tempfile

from jupyterlab.galata import configure_jupyter_server

c = get_config()  # type: ignore[name-defined] # noqa: F821
configure_jupyter_server(c)
c.ServerApp.port = 8889

for name in list(os.environ):
    if name.startswith(("HUAWEICLOUD_SDK_", "MODELARTS_")) or name in ("INSTANCE_ID", "PROJECT_ID"):
        del os.environ[name]
os.environ["HUAWEICLOUD_SDK_CREDENTIALS_FILE"] = os.devnull
c.ModelArtsSnapshot.metadata_url = "off"
c.ModelArtsSnapshot.state_dir = tempfile.mkdtemp(prefix="modelarts-snapshot-ui-")
c.ModelArtsSnapshot.manifest_dir = os.path.join(c.ModelArtsSnapshot.state_dir, "container")
