# oar-nxc `master`: an OAR 3 cluster in three roles.
#   frontend  OAR client tools (oarsub, oarstat, oarnodes, oardel, oarsh): log in here
#   server    oar-server (Almighty), PostgreSQL, the REST API under /api (nginx + unit)
#   node      OAR's node sshd on port 6667; hosts node1..nodeN, one OAR resource per core
# nb_nodes comes from setup.toml ([params] or a variant); `nxc start -r node=N` overrides it.
{ pkgs, modulesPath, nur, setup, ... }:
let
  oar = import ./oar.nix { inherit pkgs modulesPath nur; };
in
{
  roles = {
    frontend = { ... }: {
      imports = [ oar ];
      services.oar.client.enable = true;
    };

    server = { ... }: {
      imports = [ oar ];
      services.oar.server.enable = true;
      services.oar.dbserver.enable = true;
      services.oar.web.enable = true;
      # Basic-auth users of /api-priv (passwords: user1, user2)
      environment.etc."oar/api-users" = {
        mode = "0644";
        text = ''
          user1:$apr1$oarnxcus$RC5EVlc/aecn/eQMxMbYV0
          user2:$apr1$oarnxcus$179TnGPe7r.RYdmYXaidt0
        '';
      };
    };

    node = { ... }: {
      imports = [ oar ];
      services.oar.node.enable = true;
    };
  };

  rolesDistribution = { node = setup.params.nb_nodes; };

  testScript = builtins.readFile ./test_script.py;
}
