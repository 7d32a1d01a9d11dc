"""Entry point of a jailed runner: `python -m evaluator.runner`, its descriptors named in $KW_RUNNER_FDS.

It says `ready` once torch is imported, then answers one command at a time until the judge closes the channel.
It exits with `os._exit`: a candidate's static destructors and atexit handlers must not run after its last answer.
"""

from __future__ import annotations

import faulthandler
import os
import socket
import sys

from kernelwright.evaluator.runner.protocol import JUDGE_MESSAGE, Channel, ChannelClosed, Ready, runner_fds
from kernelwright.evaluator.runner.session import Runner


def main() -> None:
    faulthandler.enable()
    channel = Channel(socket.socket(fileno=runner_fds()[0]))
    runner = Runner(channel)
    channel.send(Ready())
    while True:
        try:
            message = channel.recv(JUDGE_MESSAGE)
            channel.send(runner.handle(message))
        except ChannelClosed:
            break
        sys.stdout.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
