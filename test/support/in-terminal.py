"""Runs a command as the foreground job of a new pseudo-terminal, as a shell in a terminal window
would, and copies what it writes to stdout. The command's resizes come as SIGWINCH, sent by the test."""
import os
import pty
import sys

pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:  # EIO once the command and everything holding the terminal have exited
        break
    if not data:
        break
    os.write(1, data)
os.waitpid(pid, 0)
