# oar-nxc: the `master` composition (OAR 3, master branch, through NUR kapack).
# Inputs are pinned by revision; `nix flake lock` records their hashes in flake.lock.
{
  description = "oar-nxc master: OAR frontend, server and nodes on NixOS-Compose";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/ac62194c3917d5f474c1a844b6fd6da2db95077d"; # nixos-25.05
    nxc = {
      # nixos-compose, branch 25.05
      url = "git+https://gitlab.inria.fr/nixos-compose/nixos-compose.git?ref=25.05&rev=3f53acab2cf4f963595622fa7bc726e05fe64d52";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    NUR.url = "github:nix-community/NUR";
    kapack = {
      # the NUR kapack repository (OAR packages and the services.oar NixOS module), branch 25.05
      url = "github:oar-team/nur-kapack/ba4f24ec8ded2ab933481112898319cdfcccee97";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = { self, nixpkgs, nxc, NUR, kapack }:
    let
      system = "x86_64-linux";
    in
    {
      packages.${system} = nxc.lib.compose {
        inherit nixpkgs system NUR;
        repoOverrides = { inherit kapack; };
        composition = ./composition.nix;
        setup = ./setup.toml;
      };

      devShell.${system} = nxc.devShells.${system}.nxcShell;
    };
}
