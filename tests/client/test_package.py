"""The client package stands alone: programs use it without Django or the server's code."""

import subprocess
import sys

from tests.support.server import REPO_ROOT


def test_importing_the_client_and_its_cli_loads_no_server_code():
    code = (
        "import sys, stockwatch, stockwatch.cli\n"
        "server = {'django', 'channels', 'daphne', 'config', 'inventory', 'realtime'}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in server))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert result.stdout.strip() == "[]"
