# Configuration every role of the composition shares: the OAR module and its settings,
# the oar user's keys, the database credentials, tools, and the normal test users.
# Not a secret anywhere: this is a throw-away test cluster (snake-oil keys, known passwords).
{ pkgs, modulesPath, nur }:
let
  keys = import "${toString modulesPath}/tests/ssh-keys.nix" pkgs;

  # The one OAR of the cluster: pkgs.nur.repos.kapack.oar, the package the services.oar module
  # runs, which a setup variant's `build.nur.repos.kapack.oar.src` overrides (nxc applies the
  # variant to pkgs). The `nur` argument is NUR without that override: it only brings the
  # module. Every reference to OAR below goes through oarPackage, so a dev build never mixes the
  # developer's OAR with the pinned one.
  oarPackage = pkgs.nur.repos.kapack.oar;

  # Creates one OAR resource per core of each compute node, once the database answers.
  # Hosts are node1..nodeN, as nxc names them; N comes from the deployment file.
  createResources = pkgs.writers.writePython3Bin "oar-nxc-create-resources"
    { libraries = [ oarPackage ]; } ''
    import sys
    import time

    from oar.lib.globals import init_and_get_session
    from oar.lib.resource_handling import resources_creation

    nodes, cores = int(sys.argv[1]), int(sys.argv[2])
    session = None
    for _ in range(240):
        try:
            session = init_and_get_session()
            break
        except Exception as exc:
            print(f"database not ready yet: {exc}")
            time.sleep(0.5)
    if session is None:
        sys.exit("oar-nxc-create-resources: no database after 120 s")
    resources_creation(session, "node", nodes, cores)
    print(f"oar-nxc-create-resources: {nodes} nodes x {cores} cores")
  '';
in
{
  imports = [ nur.repos.kapack.modules.oar ];

  # python3 lets Ansible run its modules on the nodes; jq and curl serve the smoke tests.
  environment.systemPackages = with pkgs; [ python3 jq curl oarPackage ];
  networking.firewall.enable = false;

  # Normal users: OAR refuses jobs from root and oar. Homes are /home/user1 and /home/user2.
  users.users.user1 = { isNormalUser = true; password = "user1"; };
  users.users.user2 = { isNormalUser = true; password = "user2"; };

  environment.etc."oar-nxc/oar_key" = { mode = "0600"; source = keys.snakeOilPrivateKey; };
  environment.etc."oar-nxc/oar_key.pub" = { mode = "0644"; text = keys.snakeOilPublicKey; };

  environment.etc."oar-dbpassword" = {
    mode = "0600";
    text = ''
      DB_BASE_LOGIN="oar"
      DB_BASE_PASSWD="oar"
      DB_BASE_LOGIN_RO="oar_ro"
      DB_BASE_PASSWD_RO="oar_ro"
    '';
  };

  services.oar = {
    extraConfig = {
      LOG_LEVEL = "3";
      HIERARCHY_LABELS = "resource_id,network_address,cpuset";
      # One nodefile line per resource (core): OAR's default field, resource_id, is not one value per
      # core for the resources nxc's compositions create (upstream oar-nixos-compose sets the same).
      NODE_FILE_DB_FIELD_DISTINCT_VALUES = "id";
    };
    database = {
      host = "server";
      passwordFile = "/etc/oar-dbpassword";
      initPath = [ pkgs.util-linux pkgs.gawk pkgs.jq createResources ];
      postInitCommands = ''
        sockets=$(lscpu | awk '/^Socket\(s\)/ { print $2 }')
        per_socket=$(lscpu | awk '/^Core\(s\) per socket/ { print $4 }')
        nodes=$(jq '[.deployment[] | select(.role == "node")] | length' /etc/nxc/deployment.json)
        oar-nxc-create-resources "$nodes" "$((sockets * per_socket))"
      '';
    };
    server.host = "server";
    privateKeyFile = "/etc/oar-nxc/oar_key";
    publicKeyFile = "/etc/oar-nxc/oar_key.pub";
  };
}
