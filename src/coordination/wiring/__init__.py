"""Everything that wires an application repo to coord: templates, managed blocks, git."""
