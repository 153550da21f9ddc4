"""nixos-compose on the controller: where a composition is built and deployed (``staging``), and the
decision and the run of ``nxc start`` (``start``)."""
