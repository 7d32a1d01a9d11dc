"""The jail: how every build and run of untrusted code starts (bubblewrap, seccomp, an unprivileged uid, limits)."""
