"""The solve graph (LangGraph): plan, propose, verify, repair, select, evolve, a final at the bench size, publish."""
