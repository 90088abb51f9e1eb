"""JupyterLab for the UI tests: the extension wired to the emulator on port 8090."""

import os
import tempfile

from jupyterlab.galata import configure_jupyter_server

from jupyterlab_modelarts_snapshot.emulator import (
    DEMO_ACCESS_KEY,
    DEMO_NOTEBOOK_ID,
    DEMO_PROJECT_ID,
    DEMO_SECRET_KEY,
)

c = get_config()  # type: ignore[name-defined] # noqa: F821
configure_jupyter_server(c)

c.ModelArtsSnapshot.endpoint = "http://127.0.0.1:8090"
c.ModelArtsSnapshot.region = "cn-north-4"
c.ModelArtsSnapshot.project_id = DEMO_PROJECT_ID
c.ModelArtsSnapshot.notebook_id = DEMO_NOTEBOOK_ID
c.ModelArtsSnapshot.access_key = DEMO_ACCESS_KEY
c.ModelArtsSnapshot.secret_key = DEMO_SECRET_KEY
c.ModelArtsSnapshot.metadata_url = "off"
c.ModelArtsSnapshot.poll_interval = 1
c.ModelArtsSnapshot.state_dir = tempfile.mkdtemp(prefix="modelarts-snapshot-ui-")
os.environ["HUAWEICLOUD_SDK_CREDENTIALS_FILE"] = os.devnull

# Uncomment to set server log level to debug level
# c.ServerApp.log_level = "DEBUG"

# The pause test stops this process as ModelArts does while it commits the container.
PID_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), ".jupyter-server.pid")
with open(PID_FILE, "w") as pid_file:
    pid_file.write(str(os.getpid()))
