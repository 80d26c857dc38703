"""A real IMAP server for the tests: Debian's dovecot (package dovecot-imapd, installed by
scripts/ensure-services.sh), started on a loopback port of its own with a throw-away
configuration and mail store, one account, no TLS."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from tests.support.services import free_port, wait_for

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "relais", "secret-imap"

CONFIG = """protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 0
first_valid_gid = 0
mail_location = maildir:{root}/mail/%u
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
"""


class Dovecot:
    def __init__(self, root: Path):
        self.root = root
        self.host, self.port = "127.0.0.1", free_port()
        self.user, self.password = USER, PASSWORD
        self.proc: subprocess.Popen | None = None

    def _identities(self) -> dict:
        if os.geteuid() != 0:
            me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
            return {
                "internal_user": me,
                "internal_group": group,
                "login_user": me,
                "uid": os.getuid(),
                "gid": os.getgid(),
            }
        # As root, dovecot runs its processes and mail as its own unprivileged users.
        dovecot = pwd.getpwnam("dovecot")
        return {
            "internal_user": "dovecot",
            "internal_group": grp.getgrgid(dovecot.pw_gid).gr_name,
            "login_user": "dovenull",
            "uid": dovecot.pw_uid,
            "gid": dovecot.pw_gid,
        }

    def start(self) -> None:
        if not Path(DOVECOT).exists():
            raise RuntimeError("dovecot is missing: scripts/ensure-services.sh installs it")
        (self.root / "mail").mkdir(parents=True)
        self.root.chmod(0o755)
        (self.root / "mail").chmod(0o777)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        config = self.root / "dovecot.conf"
        config.write_text(CONFIG.format(root=self.root, port=self.port, **self._identities()))
        self.proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self.ready, 10, f"dovecot on port {self.port}")

    def ready(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=0.5) as conn:
                return conn.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
            self.proc = None

    def settings(self) -> dict:
        """The app's settings to poll this server's INBOX."""
        return {
            "RELAIS_IMAP_HOST": self.host,
            "RELAIS_IMAP_PORT": self.port,
            "RELAIS_IMAP_TLS": "none",
            "RELAIS_IMAP_USER": self.user,
            "RELAIS_IMAP_PASSWORD": self.password,
        }
