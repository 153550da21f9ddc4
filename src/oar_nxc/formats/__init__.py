"""The formats oar-nxc reads, each parsed strictly and named in its errors: OAR nodefiles, nxc deployment
files, nxc's setup.toml and compositions, the flavours' table, host names, and the bounded file reader
they all use. No Ansible, no OAR command, no network: pure functions over text."""
