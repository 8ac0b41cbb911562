"""The solve graph (LangGraph): plan, propose, verify, repair, select, evolve, publish."""
