"""Selection: tournaments on measured timings, islands with migration, and a MAP-Elites archive."""
