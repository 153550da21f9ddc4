"""OAR: its commands' output (``output``, OAR 2.5 and OAR 3 shapes), the jobs OAR knows (``jobs``), the job
as a resource (``request``, ``lifecycle``: reserve, reuse, wait, release; ``guard``: the release after a
killed run), the preflight's findings on a reservation (``findings``), and the quoted command line that
runs an argv on a host (``remote``)."""
