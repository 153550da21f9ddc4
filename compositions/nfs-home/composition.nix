# oar-nxc `nfs-home`: the `master` cluster (its roles, OAR settings and testScript, imported
# from ../master) plus /home exported by the server over NFS and mounted on the frontend and
# every node, as on Grid'5000: job scripts written on the frontend run as they are on the
# nodes, and OAR.<id>.stdout is readable from the frontend.
# Flavours: vm and the g5k ones (docker containers cannot mount NFS).
{ pkgs, modulesPath, nur, setup, ... }@args:
let
  master = import ../master/composition.nix args;
  sharedHome = { ... }: {
    fileSystems."/home" = {
      device = "server:/home";
      fsType = "nfs";
      options = [ "nfsvers=4.2" "x-systemd.automount" "x-systemd.mount-timeout=30" "noauto" ];
    };
  };
in
{
  roles = master.roles // {
    frontend = { ... }: { imports = [ master.roles.frontend sharedHome ]; };
    node = { ... }: { imports = [ master.roles.node sharedHome ]; };
    server = { ... }: {
      imports = [ master.roles.server ];
      services.nfs.server = {
        enable = true;
        exports = ''
          /home *(rw,no_subtree_check,no_root_squash)
        '';
      };
    };
  };

  rolesDistribution = { node = setup.params.nb_nodes; };

  # master's checks, then the shared-home ones
  testScript = master.testScript + builtins.readFile ./test_shared_home.py;
}
