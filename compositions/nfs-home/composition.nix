# oar-nxc `nfs-home`: the `master` cluster (same roles and OAR settings, from
# ../master/oar.nix) plus /home exported by the server over NFS and mounted on the
# frontend and every node, as on Grid'5000: job scripts written on the frontend run as
# they are on the nodes, and OAR.<id>.stdout is readable from the frontend.
# Flavours: vm and the g5k ones (docker containers cannot mount NFS).
{ pkgs, modulesPath, nur, setup, ... }:
let
  oar = import ../master/oar.nix { inherit pkgs modulesPath nur; };
  sharedHome = { ... }: {
    fileSystems."/home" = {
      device = "server:/home";
      fsType = "nfs";
      options = [ "nfsvers=4.2" "x-systemd.automount" "x-systemd.mount-timeout=30" "noauto" ];
    };
  };
in
{
  roles = {
    frontend = { ... }: {
      imports = [ oar sharedHome ];
      services.oar.client.enable = true;
    };

    server = { ... }: {
      imports = [ oar ];
      services.oar.server.enable = true;
      services.oar.dbserver.enable = true;
      services.oar.web.enable = true;
      services.nfs.server = {
        enable = true;
        exports = ''
          /home *(rw,no_subtree_check,no_root_squash)
        '';
      };
    };

    node = { ... }: {
      imports = [ oar sharedHome ];
      services.oar.node.enable = true;
    };
  };

  rolesDistribution = { node = setup.params.nb_nodes; };

  # master's checks, then the shared-home ones
  testScript = builtins.readFile ../master/test_script.py + builtins.readFile ./test_shared_home.py;
}
