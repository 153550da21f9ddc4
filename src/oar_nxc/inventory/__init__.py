"""The inventory: what the oar_nxc plugin and the running plays see. ``spec`` turns the parsed formats into
hosts, groups and variables (one function, ``describe``, for both); ``sources`` reads a plugin source (a
nodefile, an OAR.<id>.stdout, a deployment file, a YAML config, a live job); ``selection`` keeps the subset;
``hosts`` gives the deployed hosts after ``nxc start``."""
